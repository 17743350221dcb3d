export { main, EXIT } from './main';
export { Terminal, errorReport, ErrorReport } from './terminal';
export { createDefaultContainer } from './container';
