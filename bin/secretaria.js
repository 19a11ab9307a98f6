#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import("../dist/cli.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli.js")) {
    process.stderr.write("secretaria: the CLI is not built: run `npm install` (or `npm run build`) in the project folder\n");
    process.exit(1);
  }
  throw err;
});
