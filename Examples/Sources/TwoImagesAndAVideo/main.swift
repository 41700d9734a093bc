// README.md, Library: a complete K2.6 request with two images and a video.
import Foundation
import KimiMedia

// Images fitted to 4096×2160 (in memory), the video as a ≤ 2K H.264 MP4 (no frames needed here).
let preparer = Preparer(videoOptions: try VideoOptions(frames: .none))
let inputs = ["IMG_0001.HEIC", "IMG_0002.png", "clip.mov"].map(URL.init(fileURLWithPath:))

var media: [PreparedMedia] = []
defer { media.forEach { $0.removeFiles() } }              // the video's folder (images are in memory)
for await prepared in preparer.prepare(inputs) {        // input order; a few ahead; every core busy
    let item = try prepared.result.get()                  // KimiMediaError: the file, the stage, the cause
    print(prepared.url.lastPathComponent, item.width, item.height, item.estimate?.tokens ?? 0)
    media.append(item)
}

let answer = try await withMoonshotClient(try APIConfiguration.resolve()) { client in   // MOONSHOT_API_KEY
    // One decision for all items (PayloadPlanner): inline while the body fits 100 MB, else the
    // largest go up through the Files API, once per content.
    let planned = try await RequestBuilder(client: client).build(prompt: "What happens here?", media: media)
    return try await client.chat(planned.request)         // checked against the API's rules and size first
}                                                         // the client is shut down here, whatever happened
print(answer.text ?? "", answer.usage?.promptTokens ?? 0, "prompt tokens")
