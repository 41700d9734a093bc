// docs/library.md, 1. Prepare one file: a long video split into parts that fit.
import Foundation
import KimiMedia

let options = try VideoOptions(frames: .none, budget: 50_000, segments: .auto)
let lecture = try await Preparer(videoOptions: options).prepare(URL(fileURLWithPath: "lecture.mp4"))
defer { lecture.removeFiles() }  // the parts' folder
try await withMoonshotClient(try APIConfiguration.resolve()) { client in
    for part in lecture.parts.isEmpty ? [lecture] : lecture.parts {   // no parts: the whole video fits
        let planned = try await RequestBuilder(client: client).build(prompt: "Summarise this part.", media: [part])
        let answer = try await client.chat(planned.request)
        print(part.segment.map { "part \($0.index) of \($0.count):" } ?? "whole video:", answer.text ?? "")
    }
}
