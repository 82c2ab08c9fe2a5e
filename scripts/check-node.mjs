// One clear line instead of a cryptic failure deep in @atproto/* when the wrong Node runs us.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `robot.wtf needs Node >= 22 (running ${process.version}); run it through npm (npm start / npm test), which uses the Node 22 that npm install brought`,
  );
  process.exit(1);
}
