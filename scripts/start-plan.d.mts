/** See start-plan.mjs. */
export interface Build {
  name: string;
  label: string;
  command: string[];
  inputs: string[];
  marker: string;
  stamp: string;
}
export interface PlannedBuild {
  build: Build;
  status: 'fresh' | 'first' | 'unrecorded' | 'changed';
  hash: string;
}
export const BUILDS: Build[];
export function inputsHash(root: string, inputs: string[]): string;
export function buildPlan(root: string, builds?: Build[]): PlannedBuild[];
export function writeStamp(root: string, build: Build, hash: string): void;
