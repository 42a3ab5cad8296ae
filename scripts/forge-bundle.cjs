/**
 * Builds the Forge app exactly as `forge deploy` does, offline: the Forge CLI's own bundler
 * (`@forge/bundler`, its webpack configuration untouched) over the function handlers that
 * manifest.yml names, read with the CLI's own manifest reader. The one stand-in is the runtime
 * wrapper: the CLI downloads it from Atlassian's CDN and puts it beside the bundle, not into it,
 * so a placeholder is written in its place.
 *
 * Run `npm run build:forge` first (it compiles src to build/app, which src/index.js loads).
 * Writes the bundle to build/forge-bundle (or the directory given as the first argument) and
 * writes what it built to build/forge-bundle.json: the entry files, the handlers, the npm
 * packages inside, the file sizes and the warnings.
 *
 * CommonJS on purpose: the bundler reads `require.main`, as it does inside the CLI.
 */
'use strict';
const { cp, mkdir, readdir, readFile, rm, stat, writeFile } = require('node:fs/promises');
const path = require('node:path');
const { getEntryPoints, getNodeBundler } = require('@forge/bundler');
const { ConfigFile, FileSystemReader, FileSystemWriter } = require('@forge/cli-shared');

const appDirectory = path.resolve(__dirname, '..');

const placeholder = (kind) => ({
  script: `// Stand-in for the Forge runtime ${kind}, which forge deploy downloads; never run.\n`,
  source: `stand-in:${kind}`,
  version: 'stand-in',
});
const standInWrapperProvider = {
  getNodeRuntimeWrapper: async () => placeholder('wrapper'),
  getNodeRuntimeLoader: async () => placeholder('loader'),
};

async function bundleForgeApp(outputDirectory) {
  const warnings = [];
  const logger = {
    info: () => {},
    debug: () => {},
    trace: () => {},
    warn: (message) => warnings.push(String(message)),
    error: (message) => warnings.push(String(message)),
  };
  // The CLI runs from the app directory: the manifest and the handler paths are read from there.
  process.chdir(appDirectory);
  const configFile = new ConfigFile(new FileSystemReader(), new FileSystemWriter());
  const handlers = await configFile.getAppHandlers();
  const entryPoints = getEntryPoints(handlers);
  const result = await getNodeBundler(logger, standInWrapperProvider, configFile).bundle({ appDirectory, entryPoints });

  await rm(outputDirectory, { recursive: true, force: true });
  await mkdir(outputDirectory, { recursive: true });
  await cp(result.outputDir, outputDirectory, { recursive: true });
  await rm(result.outputDir, { recursive: true, force: true });
  // The runtime artifacts the CLI adds beside the bundle (here: the placeholders).
  for (const [name, content] of result.additionalOutputs ?? []) {
    const target = path.join(outputDirectory, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, Buffer.isBuffer(content) ? content : await readFile(content));
  }
  const files = {};
  for (const name of await readdir(outputDirectory, { recursive: true })) {
    const info = await stat(path.join(outputDirectory, name));
    if (info.isFile()) files[name] = info.size;
  }
  return {
    outputDirectory,
    entries: entryPoints.map((entry) => `${entry.name}.cjs`),
    handlers: handlers.map(({ module, func }) => `${module}.${func}`),
    modules: result.metadata?.modules ?? [],
    files,
    warnings,
  };
}

bundleForgeApp(path.resolve(process.argv[2] ?? path.join(appDirectory, 'build', 'forge-bundle'))).then(
  async (report) => {
    // Beside the bundle, not in it: what the tests and the benchmark read about the build.
    await writeFile(`${report.outputDirectory}.json`, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify({ ...report, modules: report.modules.length }));
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
