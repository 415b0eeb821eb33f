// The action runs on the runner's Node 24 (`runs.using: node24`), so the tests must too.
// `npm test` finds the `node` devDependency (Node 24) in node_modules/.bin before the system's.
export default function checkNodeVersion(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    throw new Error(
      `The tests need Node 24 (the action's runtime) but run on ${process.version}. ` +
        'Run them with `npm test`, which uses the Node 24 installed by `npm ci` from the node devDependency.',
    );
  }
}
