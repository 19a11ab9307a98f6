import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** A string that starts like an SQL statement (upper case, as every statement of src/store/ is written). */
const SQL_TEXT = String.raw`/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|PRAGMA|VACUUM|CREATE|DROP|ALTER|TRUNCATE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|LOCK|ANALYZE)\s/`;

const SQL_OUTSIDE_STORE = [
  { selector: `Literal[value=${SQL_TEXT}]`, message: "SQL lives under src/store/ only: add a repository function there and call it." },
  { selector: `TemplateElement[value.raw=${SQL_TEXT}]`, message: "SQL lives under src/store/ only: add a repository function there and call it." },
];
const REPOSITORY_IN_COMMAND = "Commands and the daemon call a service (src/services/), not a repository: add or use a service function there.";

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
      // SQL lives under src/store/ only: a statement written elsewhere (services, commands, daemon, demo) belongs in a repository.
      "no-restricted-syntax": ["error", ...SQL_OUTSIDE_STORE],
    },
  },
  {
    // Commands and the daemon call services, not repositories: from src/store/ they take only opening the
    // database (open, migrator) and types. What they read or write goes through src/services/.
    files: ["src/commands/**/*.ts", "src/daemon/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [{
          group: ["../store/*", "!../store/open.js", "!../store/migrator.js", "!../store/store.js"],
          allowTypeImports: true,
          message: REPOSITORY_IN_COMMAND,
        }],
      }],
      // The same for `await import("../store/…")` (commands load lazily); repeated here with the SQL rule, as a later block replaces a rule's options.
      "no-restricted-syntax": ["error", ...SQL_OUTSIDE_STORE,
        { selector: String.raw`ImportExpression[source.value=/^\.\.\/store\/(?!(open|migrator|store)\.js$)/]`, message: REPOSITORY_IN_COMMAND },
      ],
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
