import assert from "node:assert/strict";
import { join } from "node:path";
import { INFRA_DIR } from "../support/infra_tools.ts";

const MODULES = ["resource_group", "storage", "key_vault", "function_app", "app_insights"];

function read(path: string): string {
  return Deno.readTextFileSync(path);
}

function tfFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".tf")).map((e) =>
    join(dir, e.name)
  );
}

/** `variable "name" { ... }` blocks of HCL text, by name (blocks end at a line holding "}"). */
function variableBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/^variable "([^"]+)" \{\n([\s\S]*?)^\}$/gm)) {
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

Deno.test("every module has main.tf, variables.tf, outputs.tf and terraform.tf, and no provider block", () => {
  for (const name of MODULES) {
    const dir = join(INFRA_DIR, "modules", name);
    for (const file of ["main.tf", "variables.tf", "outputs.tf", "terraform.tf"]) {
      assert.ok(Deno.statSync(join(dir, file)).isFile, `modules/${name}/${file} is missing`);
    }
    for (const file of tfFiles(dir)) {
      assert.doesNotMatch(read(file), /^provider "/m, `${file} configures a provider`);
    }
    assert.match(
      read(join(dir, "terraform.tf")),
      /^terraform \{\n {2}required_version = ">= 1\.5\.0"\n\n {2}required_providers \{/,
      `modules/${name}/terraform.tf: required_version first, then required_providers`,
    );
  }
});

Deno.test("only the root module configures the azurerm provider, with features {} and subscription_id", () => {
  const providers = read(join(INFRA_DIR, "providers.tf"));
  assert.match(providers, /^provider "azurerm" \{/m);
  assert.match(providers, /^\s+subscription_id\s+= var\.subscription_id$/m);
  assert.match(providers, /^\s+features \{/m);
});

Deno.test("every variable has a description and a type; collections are not nullable; sensitive ones have no default", () => {
  const dirs = [INFRA_DIR, ...MODULES.map((m) => join(INFRA_DIR, "modules", m))];
  let count = 0;
  for (const dir of dirs) {
    for (const [name, body] of variableBlocks(read(join(dir, "variables.tf")))) {
      const where = `${dir.slice(INFRA_DIR.length) || "/"} variable "${name}"`;
      count++;
      assert.match(body, /^ {2}description = "(?:[^"\\]|\\.)+"$/m, `${where}: no description`);
      const type = /^ {2}type\s+= (.+)$/m.exec(body)?.[1];
      assert.ok(type !== undefined, `${where}: no type`);
      assert.notEqual(type, "any", `${where}: type any`);
      if (/^(list|map|set)\(|^object\(/.test(type) && !/^ {2}default\s+= null$/m.test(body)) {
        assert.match(
          body,
          /^ {2}nullable\s+= false$/m,
          `${where}: a collection must be nullable = false`,
        );
      }
      if (/^ {2}sensitive\s+= true$/m.test(body)) {
        assert.doesNotMatch(body, /^ {2}default\s+=/m, `${where}: sensitive with a default`);
      }
    }
  }
  assert.ok(count >= 40, `expected the stack's variables, found ${count}`);
});

Deno.test("every tagged resource type gets the tags, and every taggable resource has them", () => {
  // Resources that take no tags in azurerm: containers, role assignments, secrets' random
  // value, the random suffix, diagnostic settings.
  const untaggable = new Set([
    "azurerm_storage_container",
    "azurerm_role_assignment",
    "azurerm_monitor_diagnostic_setting",
    "random_password",
    "random_string",
  ]);
  const dirs = [INFRA_DIR, ...MODULES.map((m) => join(INFRA_DIR, "modules", m))];
  let tagged = 0;
  for (const dir of dirs) {
    for (const file of tfFiles(dir)) {
      for (const m of read(file).matchAll(/^resource "([^"]+)" "([^"]+)" \{\n([\s\S]*?)^\}$/gm)) {
        const [, type, name, body] = m;
        if (untaggable.has(type!)) continue;
        assert.match(
          body!,
          /^ {2}tags\s+= (var|local)\.tags$/m,
          `${file}: ${type}.${name} has no tags`,
        );
        tagged++;
      }
    }
  }
  assert.ok(tagged >= 11, `expected the stack's taggable resources, found ${tagged}`);
});

Deno.test("no tfvars file holds a secret value", () => {
  for (const env of ["dev", "prod"]) {
    const text = read(join(INFRA_DIR, "env", `${env}.tfvars`));
    assert.match(text, new RegExp(`^environment\\s+= "${env}"$`, "m"));
    assert.doesNotMatch(text, /(password|secret_value|client_secret|AccountKey|sig=)/i);
  }
});
