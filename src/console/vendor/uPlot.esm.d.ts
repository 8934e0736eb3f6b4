// The server serves node_modules/uplot/dist/uPlot.esm.js at this module's URL (src/server/console-assets.ts);
// its types are the package's own.
import uPlot from 'uplot';

export default uPlot;
