// Prints the size of a build output (npm run build).
import { statSync } from "node:fs";
for (const f of process.argv.slice(2)) console.log(`${f}: ${statSync(f).size} bytes`);
