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
      /^terraform \{\n {2}required_version = ">= 1\.11\.0"\n\n {2}required_providers \{/,
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
  const dirs = [
    INFRA_DIR,
    join(INFRA_DIR, "bootstrap"),
    ...MODULES.map((m) => join(INFRA_DIR, "modules", m)),
  ];
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
    "time_sleep",
  ]);
  const dirs = [
    INFRA_DIR,
    join(INFRA_DIR, "bootstrap"),
    ...MODULES.map((m) => join(INFRA_DIR, "modules", m)),
  ];
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

/** The string values of `attribute = "..."` lines in `text`. */
function stringValues(text: string, attribute: string): string[] {
  return [...text.matchAll(new RegExp(`^\\s+${attribute}\\s+= "([^"]+)"$`, "gm"))].map((m) =>
    m[1]!
  );
}

Deno.test("the stack assigns exactly the roles the bootstrap lets the pipeline assign, and reads the role names from for_each keys too", () => {
  const roles = read(join(INFRA_DIR, "roles.tf"));
  const assigned = new Set(stringValues(roles, "role_definition_name"));
  // Roles assigned through for_each over a set of names (host storage).
  for (const m of roles.matchAll(/toset\(\[([^\]]*Storage[^\]]*)\]\)/g)) {
    for (const name of m[1]!.matchAll(/"([^"]+)"/g)) {
      if (/ /.test(name[1]!)) assigned.add(name[1]!);
    }
  }
  assigned.delete("each.key");
  const bootstrap = read(join(INFRA_DIR, "bootstrap", "main.tf"));
  const block = /assignable_roles = \{\n([\s\S]*?)\n {2}\}/.exec(bootstrap)?.[1] ?? "";
  const allowed = new Map(
    [...block.matchAll(/^\s+"([^"]+)"\s+= "([0-9a-f-]{36})"$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  assert.deepEqual(
    [...assigned].sort(),
    [...allowed.keys()].sort(),
    "infra/roles.tf and infra/bootstrap's assignable_roles differ: the pipeline's RBAC " +
      "Administrator condition would refuse (or needlessly allow) a role",
  );
  assert.equal(new Set(allowed.values()).size, allowed.size, "a role definition ID twice");
});

Deno.test("the stack never creates or deletes its resource group, and drops Azure's generated smart-detection rule", () => {
  for (const file of tfFiles(INFRA_DIR)) {
    const text = read(file);
    assert.doesNotMatch(text, /^resource "azurerm_resource_group"/m, `${file} manages a group`);
    assert.doesNotMatch(text, /^module "\w+" \{\n\s+source\s+= "\.\/modules\/resource_group"/m);
  }
  assert.match(read(join(INFRA_DIR, "main.tf")), /^data "azurerm_resource_group" "this" \{/m);
  assert.match(
    read(join(INFRA_DIR, "providers.tf")),
    /application_insights \{\n\s+disable_generated_rule = true\n\s+\}/,
  );
});

Deno.test("the provider lock file is committed, not ignored", () => {
  const ignored = read(join(INFRA_DIR, "..", ".gitignore")).split("\n").map((l) => l.trim());
  assert.ok(!ignored.includes("infra/.terraform.lock.hcl"), ".gitignore ignores the lock file");
  assert.ok(!ignored.includes(".terraform.lock.hcl"), ".gitignore ignores the lock file");
  assert.match(
    read(join(INFRA_DIR, ".terraform.lock.hcl")),
    /^provider "registry\.opentofu\.org\/hashicorp\/azurerm"/m,
  );
});
