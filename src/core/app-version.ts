/** The app's release, written into backup files (kept equal to package.json's `version` by test/unit/backup-file.test.ts). */
export const APP_VERSION = '0.1.0';
