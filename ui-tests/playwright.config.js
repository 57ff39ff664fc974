/**
 * Galata configuration, running the system Chromium (no browser download).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// LG_UI_PORT lets several checkouts run their browser tests side by side.
const port = process.env.LG_UI_PORT || '8888';
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

module.exports = {
  ...baseConfig,
  workers: 1,
  reporter: [['list']],
  // Prints the browser's version first: a result is read against it.
  globalSetup: require.resolve('./global-setup.js'),
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    // The default 'retain-on-failure' needs Playwright's own ffmpeg.
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `jlpm start --port=${port}`,
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
