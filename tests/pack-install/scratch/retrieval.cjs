// In the scratch project: embeds a document with the CommonJS build of @rge/core; prints the embedding as JSON.
const { loadRgeModel } = require("@rge/core");

async function main() {
  const [bundleDir, text] = process.argv.slice(2);
  const model = await loadRgeModel(bundleDir);
  try {
    const [target] = await model.embedTargets([{ text }]);
    console.log(JSON.stringify({ embedding: [...target.embedding] }));
  } finally {
    await model.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
