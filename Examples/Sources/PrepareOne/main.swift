// docs/library.md, 1. Prepare one file.
import Foundation
import KimiMedia

let photo = try await Preparer().prepare(URL(fileURLWithPath: "IMG_0001.HEIC"))
// Upright, inside 4096×2160, as JPEG (PNG when it has alpha): the bytes are in memory.
print(photo.format, photo.width, photo.height, photo.bytes)
print(photo.estimate?.mediaTokens ?? 0, "+", photo.estimate?.wrapperTokens ?? 0, "tokens")

// The same from bytes (an upload your app received), and with options of your own:
let data = try Data(contentsOf: URL(fileURLWithPath: "IMG_0002.png"))
let small = try await Preparer(imageOptions: try ImageOptions(fit: .model, quality: 85)).prepare(data, name: "upload.png")
print(small.format, small.width, small.height, small.estimate?.tokens ?? 0, "tokens")

// A video: an H.264 MP4 inside 2048×1080 and its keyframes, in a folder of its own.
let clip = try await Preparer().prepare(URL(fileURLWithPath: "clip.mov"))
defer { clip.removeFiles() }  // or keepFiles(); a script's values live until it exits
print(clip.format, clip.width, clip.height, clip.frames.count, "frames in", clip.workFolder ?? "memory")
