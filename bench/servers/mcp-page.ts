// The one page bench/mcp.ts reads, shared by the server children (which write it) and the driver
// (which checks every answer against it). A realistic note of ~4 KB: headings, lists, [[links]], a
// table, a code block, and some non-ASCII text so JSON escaping is exercised.
export const PAGE_PATH = 'Projects/Robot Arm';

const section = (n: number) => `## Iteration ${n}

The arm's ${n % 2 ? 'shoulder' : 'elbow'} joint was re-shimmed after [[Notes/Calibration]] showed
${n * 0.3} mm of backlash. See also [[Projects/Robot Arm/Parts]] and [[People/Ada]] — “torque first,
speed later”.

- [x] measure backlash on joints 1–${n}
- [ ] replace the M3 screws (${n * 4} pcs) with nylock nuts
- [ ] update the wiring diagram in [[Projects/Robot Arm/Wiring]]

| joint | backlash (mm) | status |
|---|---:|---|
| J1 | ${(0.1 * n).toFixed(2)} | ok |
| J2 | ${(0.07 * n).toFixed(2)} | needs work |
`;

export const PAGE_CONTENT = `# Robot Arm

A six-axis desk robot arm, printed in PETG, driven by closed-loop steppers.

${[1, 2, 3, 4, 5, 6, 7, 8].map(section).join('\n')}
\`\`\`python
def home(arm):
    for joint in arm.joints:
        joint.move_until(limit_switch=True, speed=0.2)
        joint.zero()
\`\`\`
`;
