/**
 * Runs once before the browser tests: says which Chromium they run in.
 */
const { execFileSync } = require('child_process');

module.exports = async () => {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  let version;
  try {
    version = execFileSync(chromium, ['--version'], {
      encoding: 'utf-8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim();
  } catch (error) {
    version = `unknown (${chromium}: ${error.message})`;
  }
  console.log(`Browser tests run in ${version}`);
};
