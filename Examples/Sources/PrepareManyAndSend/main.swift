// docs/library.md, 2. Prepare many and build the request.
import Foundation
import KimiMedia

let urls = ["IMG_0001.HEIC", "IMG_0002.png", "clip.mov"].map(URL.init(fileURLWithPath:))
var media: [PreparedMedia] = []
defer { media.forEach { $0.removeFiles() } }            // the videos' folders; images are in memory
for await prepared in Preparer().prepare(urls) {        // in input order; at most `jobs` ahead
    switch prepared.result {
    case .success(let item): media.append(item)
    case .failure(let error): print("skipped:", error.localizedDescription)  // the others go on
    }
}

let answer = try await withMoonshotClient(try APIConfiguration.resolve()) { client in
    let planned = try await RequestBuilder(client: client).build(prompt: "What changes?", media: media)
    print(planned.plan.entries.map(\.delivery), planned.plan.bodyBytes, "bytes")
    return try await client.chat(planned.request)
}
print(answer.text ?? "")
