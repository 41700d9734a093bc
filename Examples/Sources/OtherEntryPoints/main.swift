// README.md, Library: other entry points.
import Foundation
import KimiMedia

let info = try Prober().probe(path: "holiday/IMG_0001.jpg")            // headers only
let cost = try Preparer().estimate(info)                               // what prepare will send, offline
let batch = try await BatchPreparer(preparer: Preparer(), jobs: 4)     // the CLI's batch: resumable, shardable
    .run(["holiday/"], into: "prepared", options: BatchOptions(shard: Shard(argument: "0/2")))
print(info.width, info.height, cost.tokens, batch.summary.lines().joined(separator: "\n"), batch.manifestPath)

let items = [PayloadItem(path: "clip.mov", format: .mov, bytes: 120_000_000)]
let plan = try PayloadPlanner(limit: 100_000_000).plan(prompt: "Describe", items: items)   // inline or upload, exact bytes
print(plan.entries.map(\.delivery), plan.bodyBytes)                   // [upload]: 120 MB cannot go inline
let request = ChatRequest(model: "kimi-k2.6", messages: [.user([.text("Describe"), .videoURL("ms://file-id")])])
print(request.violations())                                           // the K2.6 rules, field by field: none broken
