// docs/library.md, 3. Estimate before sending.
import Foundation
import KimiMedia

// Offline, exact for media (the model's own arithmetic): what prepare will send, and the file as it is.
let info = try Prober().probe(path: "IMG_0001.HEIC")
print(try Preparer().estimate(info).tokens, "tokens as prepared;", try TokenEstimate.of(info).tokens, "as the file is")
// Without a file: a 12 MP photo, a minute of 1080p at 30 fps.
print(TokenEstimate.image(width: 4032, height: 3024).tokens, TokenEstimate.video(frames: 1800, fps: 30, width: 1920, height: 1080).tokens)

// A whole request: offline, and from the service (POST /v1/tokenizers/estimate-token-count).
let photo = try await Preparer().prepare(URL(fileURLWithPath: "IMG_0001.HEIC"))
let (offline, remote) = try await withMoonshotClient(try APIConfiguration.resolve()) { client in
    let planned = try await RequestBuilder(client: client).build(prompt: "Describe this.", media: [photo])
    return (planned.tokens, try await client.estimateTokens(model: "kimi-k2.6", messages: planned.request.messages))
}
print(offline, "tokens offline,", remote, "from the service")
