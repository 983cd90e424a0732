// Validates a unified app manifest (JSON) against the schema bundled in the npm package
// @microsoft/app-manifest, offline. Usage: node validate-json.js NODE_MODULES SCHEMA_VERSION MANIFEST
// Exit 0: valid; 1: invalid (errors on stderr); 2: usage or setup error.
"use strict";
const fs = require("fs");
const path = require("path");
const [modules, version, manifest] = process.argv.slice(2);
if (!manifest) {
  console.error("usage: node validate-json.js NODE_MODULES SCHEMA_VERSION MANIFEST");
  process.exit(2);
}
const need = (name) => require(path.join(path.resolve(modules), name));
const schemaFile = path.join(path.resolve(modules),
  "@microsoft/app-manifest/build/json-schemas/teams", "v" + version, "MicrosoftTeams.schema.json");
const Ajv = need("ajv-draft-04");
const addFormats = need("ajv-formats");
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
const doc = JSON.parse(fs.readFileSync(manifest, "utf8"));
if (validate(doc)) {
  console.log(manifest + ": valid against " + path.relative(modules, schemaFile));
  process.exit(0);
}
for (const e of validate.errors) console.error(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
process.exit(1);
