// A client command's expected failure: `robot` prints its message as one line and exits 1. Apart from
// ./login.ts so that `robot serve` does not load the RPC client to recognise it.
export class CliFailure extends Error {}
