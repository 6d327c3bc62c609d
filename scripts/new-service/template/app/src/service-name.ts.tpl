// The one place this service's name is written: its queues, its log lines, its traces and its data folder use it.
export const SERVICE_NAME = '{{name}}';
