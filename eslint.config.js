import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp/**", "bench/data/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", Buffer: "readonly", URL: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // One storage interface: the drivers (and their types) live under src/store/ only.
    files: ["src/**/*.ts"],
    ignores: ["src/store/**"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          { name: "better-sqlite3", message: "SQLite is an engine of src/store/: use the Store interface (src/store/store.ts)." },
          { name: "pg", message: "PostgreSQL is an engine of src/store/: use the Store interface (src/store/store.ts)." },
        ],
      }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli.ts", "src/commands/**"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Only the CLI entry may exit; throw a UserError instead." }],
    },
  },
);
