// CVSS base scores against values published by FIRST and NVD, and vectors refused as partial.
import { describe, expect, it } from "vitest";
import { cvssBaseScore, cvssSeverity, cvssType } from "../src/index.js";

describe("CVSS", () => {
  it.each([
    // NVD: CVE-2021-44228 (v3.1), a classic reflected XSS (v3.0), CVE-2002-0392-like v2 full impact.
    ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10],
    ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8],
    ["CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1],
    ["AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5],
    ["(AV:N/AC:L/Au:S/C:N/I:N/A:P)", 4],
    // FIRST's CVSS v4.0 calculator examples.
    ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3],
    ["CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5],
  ])("%s scores %d", (vector, score) => {
    expect(cvssBaseScore(vector)).toBe(score);
  });

  it.each([
    "CVSS:3.1/AV:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
    "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:4.0/AV:N",
    "CVSS:9.9/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "garbage",
    "",
    `CVSS:3.1/${"AV:N/".repeat(200)}`,
  ])("refuses %j", (vector) => {
    expect(cvssBaseScore(vector)).toBeUndefined();
  });

  it("rates scores with each version's bands", () => {
    expect(cvssType("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")).toBe("CVSS_V3");
    expect(cvssSeverity("CVSS_V3", 9.0)).toBe("CRITICAL");
    expect(cvssSeverity("CVSS_V3", 8.9)).toBe("HIGH");
    expect(cvssSeverity("CVSS_V4", 4.0)).toBe("MEDIUM");
    expect(cvssSeverity("CVSS_V3", 3.9)).toBe("LOW");
    expect(cvssSeverity("CVSS_V2", 10)).toBe("HIGH");
  });
});
