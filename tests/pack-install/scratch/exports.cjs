// In the scratch project: requires each module named on the command line and prints its export names.
const names = {};
for (const specifier of process.argv.slice(2)) names[specifier] = Object.keys(require(specifier)).filter((k) => k !== "__esModule").sort();
console.log(JSON.stringify(names));
