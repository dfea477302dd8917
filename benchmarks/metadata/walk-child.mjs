// @ts-check
// One measured run of our reader, in its own process so its peak RSS is its own: open an image,
// walk it from "/", read the stats of every entry, print one JSON line of timings and counts.
//
// usage: node walk-child.mjs IMAGE [walk|walkSync|walk+lstat]
//   walk        stats come from walk() itself (one inode decode per entry)
//   walkSync    the same with walkSync(), which skips a promise per entry
//   walk+lstat  also calls image.lstat(path) on every entry, resolving each path from the root
//               the way a caller holding only paths would
import { performance } from "node:perf_hooks";

const started = performance.now();
const [image, mode = "walk"] = process.argv.slice(2);
if (image === undefined || !["walk", "walkSync", "walk+lstat"].includes(mode)) {
  process.stderr.write("usage: node walk-child.mjs IMAGE [walk|walkSync|walk+lstat]\n");
  process.exit(2);
}
// Import time is reported apart: it is paid once per process, not per entry.
const { openImage } = await import("@rafscan/vfs");
const imported = performance.now();
const img = await openImage({ bootstrap: image });
const opened = performance.now();

let entries = 0;
let dirs = 0;
let files = 0;
let symlinks = 0;
let other = 0;
// Folding every field we read into a checksum keeps the reads from being optimised away and
// lets the runner check that both modes saw the same metadata.
let checksum = 0;
const entriesOf = mode === "walkSync" ? img.walkSync("/") : img.walk("/");
for await (const e of entriesOf) {
  const st = mode === "walk+lstat" ? await img.lstat(e.path) : e.stats;
  entries++;
  if (st.isDirectory()) dirs++;
  else if (st.isFile()) files++;
  else if (st.isSymbolicLink()) symlinks++;
  else other++;
  checksum =
    (checksum + st.ino * 31 + st.mode + (st.size % 0x10000) + st.nlink + st.uid + st.gid) % 0x7fff_ffff;
}
const walked = performance.now();
await img.close();

const result = {
  mode,
  entries,
  types: { dir: dirs, file: files, symlink: symlinks, other },
  checksum,
  inodeCount: img.info.inodeCount,
  importMs: imported - started,
  openMs: opened - imported,
  walkMs: walked - opened,
  // Peak resident set of this process in KiB (getrusage ru_maxrss), the same figure
  // /usr/bin/time reports as %M.
  maxRssKiB: process.resourceUsage().maxRSS,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
