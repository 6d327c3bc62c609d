// Completes package-lock.json with the platform packages that a filtered registry mirror does not serve (npm install
// leaves them out, and npm ci then refuses the lock file). Each gets an entry with its os and cpu, so npm skips it on
// other platforms and fetches it where it fits. Run after `npm install` on such a machine: node scripts/complete-lockfile.js
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key] || pkgs[`${path}/node_modules/${name}`]) continue;
    const m = /-(android|darwin|freebsd|linux|openharmony|win32)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x)/.exec(name);
    if (!m) {
      console.error('cannot place', name);
      continue;
    }
    pkgs[key] = { version, cpu: [m[2]], os: [m[1]], optional: true };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log('added', added);
