'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Jest globalSetup of the secret watch: a fresh directory the test files write their records to. */
module.exports = async function secretWatchSetup() {
  process.env.BRIDGE_SECRET_WATCH_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-secret-watch-'));
};
