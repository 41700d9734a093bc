import Foundation
import TestSupport

// `swift run kimi-media-stand-in [PORT-FILE]`: the tests' loopback stand-in for the Moonshot API, as
// a process, to try kimi-media's API commands offline:
//   MOONSHOT_BASE_URL=<printed URL> MOONSHOT_API_KEY=<printed key> kimi-media request --send …
// It enforces the documented contract with its own code (not the client's): see MoonshotStandIn.
let server = try await MoonshotStandIn.start()
FileHandle.standardOutput.write(Data("MOONSHOT_BASE_URL=\(server.baseURL)\nMOONSHOT_API_KEY=\(server.options.apiKey)\n".utf8))
if CommandLine.arguments.count > 1 {
    try "\(server.baseURL)\n".write(toFile: CommandLine.arguments[1], atomically: true, encoding: .utf8)
}
while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
