// Cross-check, copied into each generated project by `cargo xtask vue`: the generated TypeScript validators
// (Ajv, configured by `makeValidator` exactly as the client uses it) against the Rust validators' verdicts on the
// cases of the differential test (`cargo xtask differential` proves the Rust validators give these verdicts).
// Writes `crosscheck-result.json` ({compared, disagreements}) for the xtask to report.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { makeValidator } from "./generated/validators";

interface Case {
  type: string;
  definition: string;
  value: unknown;
  valid: boolean;
}

// Vitest runs in the project folder (the DOM environment makes `import.meta.url` a page URL, not a file).
const root = process.cwd();
const data = JSON.parse(readFileSync(join(root, "crosscheck.json"), "utf8")) as {
  bundle: Record<string, unknown>;
  cases: Case[];
};

it("agrees with the Rust validators on every case of the differential test", () => {
  const validate = makeValidator(data.bundle);
  const disagreements = data.cases
    .map((c) => ({ ...c, violations: validate(c.definition, c.value) }))
    .filter((c) => (c.violations.length === 0) !== c.valid);
  writeFileSync(
    join(root, "crosscheck-result.json"),
    JSON.stringify({ compared: data.cases.length, disagreements: disagreements.length }),
  );
  expect(data.cases.length).toBeGreaterThan(0);
  expect(
    disagreements.slice(0, 5).map((c) => ({ type: c.type, value: c.value, rust: c.valid, ts: c.violations })),
  ).toEqual([]);
});
