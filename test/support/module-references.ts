import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ModuleReference {
  /** Relative to the project root. */
  file: string;
  specifier: string;
  /** `static` and `dynamic` load at run time; `type` is erased by the compiler. */
  kind: 'static' | 'dynamic' | 'type';
  /** A string literal: a dynamic import of a computed name would hide from this check and from bundlers. */
  literal: boolean;
}

/** Every module a file names, as the TypeScript parser sees the syntax (comments and strings do not count). */
export function moduleReferences(file: string): ModuleReference[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const references: ModuleReference[] = [];
  const add = (specifier: ts.Expression, kind: ModuleReference['kind']) =>
    references.push({ file, specifier: ts.isStringLiteralLike(specifier) ? specifier.text : specifier.getText(source), kind, literal: ts.isStringLiteralLike(specifier) });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node.importClause?.isTypeOnly ? 'type' : 'static');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression, node.isTypeOnly ? 'type' : 'static');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]!, 'dynamic');
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) add(node.arguments[0]!, 'static');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) add(node.argument.literal, 'type');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return references;
}

