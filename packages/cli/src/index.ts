export { main, EXIT } from './main';
export { Terminal } from './terminal';
export { createDefaultContainer } from './container';
