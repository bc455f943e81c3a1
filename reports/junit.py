"""JUnit XML: one testcase per check and target, so CI dashboards show audits like test runs.

FAIL → <failure>, ERROR → <error>, SKIP and WAIVED → <skipped>, WARN passes with the warning in
<system-out>. Hosts can send bytes XML 1.0 forbids (a garbage banner); those are dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from p06audit.reports.model import ReportDocument, ReportFinding

_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates removed."""
    return _XML_INVALID.sub("", str(value))


def _details(finding: ReportFinding) -> str:
    evidence = json.dumps(finding.evidence, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return xml_text(f"{finding.summary}\n\nevidence:\n{evidence}\n\nremediation: {finding.remediation}")


def _testcase(suite: ET.Element, finding: ReportFinding) -> str:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_text(f"p06audit.{finding.family}.{finding.check_id}"),
        name=xml_text(f"{finding.check_id} {finding.key}"),
        time="0",
    )
    status = finding.effective_status
    attrs = {"message": xml_text(finding.summary), "type": finding.severity.value}
    if status == "FAIL":
        ET.SubElement(case, "failure", attrs).text = _details(finding)
    elif status == "ERROR":
        ET.SubElement(case, "error", attrs).text = _details(finding)
    elif status == "SKIP":
        ET.SubElement(case, "skipped", message=xml_text(finding.summary))
    elif status == "WAIVED" and finding.waiver is not None:
        waiver = finding.waiver
        note = f"waived until {waiver.expires.isoformat()} by {waiver.owner}: {waiver.reason}"
        ET.SubElement(case, "skipped", message=xml_text(note))
    elif status == "WARN":
        ET.SubElement(case, "system-out").text = xml_text(f"WARN: {finding.summary}")
    return status


def render_junit(doc: ReportDocument) -> bytes:
    by_family: dict[str, list[ReportFinding]] = defaultdict(list)
    for finding in doc.findings:
        by_family[finding.family].append(finding)
    root = ET.Element("testsuites", name=f"p06audit {doc.run.id}")
    totals: dict[str, int] = defaultdict(int)
    for family in sorted(by_family):
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"p06audit.{family}",
            timestamp=doc.run.started.isoformat(),
            hostname="p06audit",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("run_id", doc.run.id),
            ("inventory", doc.run.inventory),
            ("tool_version", doc.run.tool_version),
        ):
            ET.SubElement(props, "property", name=name, value=xml_text(value))
        counts: dict[str, int] = defaultdict(int)
        for finding in by_family[family]:
            counts[_testcase(suite, finding)] += 1
        stats = {
            "tests": len(by_family[family]),
            "failures": counts["FAIL"],
            "errors": counts["ERROR"],
            "skipped": counts["SKIP"] + counts["WAIVED"],
        }
        for key, count in stats.items():
            suite.set(key, str(count))
            totals[key] += count
        suite.set("time", f"{doc.run.duration_seconds:.3f}")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{doc.run.duration_seconds:.3f}")
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml
