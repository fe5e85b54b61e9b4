// Stands in for packages Bolt imports but Keywarden's Lambda functions never use (express for ExpressReceiver,
// @slack/socket-mode for SocketModeReceiver). Bolt only touches them when those receivers are constructed, so
// the bundle loads without them; calling one is a bug and says so.
function unavailable() {
  throw new Error('This package is not bundled into the Keywarden Lambda functions');
}
module.exports = unavailable;
module.exports.default = unavailable;
