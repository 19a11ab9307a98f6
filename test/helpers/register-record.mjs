// Registers record-imports.mjs: `node --import ./test/helpers/register-record.mjs bin/secretaria.js --help`
// appends every module URL the program resolves to the file named by RECORD_IMPORTS_FILE.
import { register } from "node:module";

register("./record-imports.mjs", import.meta.url, { data: { file: process.env.RECORD_IMPORTS_FILE } });
