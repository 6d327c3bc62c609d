// Fault specs stop or restart the shared broker, so they run one at a time, after every other spec (see npm test).
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testRegex: '.*\\.(fault|cluster)-spec\\.ts$',
  maxWorkers: 1,
  testTimeout: 180_000,
};
