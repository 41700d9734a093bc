import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media merge OUTDIR...`: one manifest from the shards' manifests.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join shard manifests (manifest.shard-I-of-N.jsonl) into one manifest.jsonl.",
        discussion: """
            Reads every manifest*.jsonl in the given output folders (shards writing to one shared folder, \
            or each to its own), keeps one line per source (a completed line wins over a failed one), \
            sorts by source and writes FIRST/manifest.jsonl (or --out). Output paths from other folders \
            are rewritten relative to the first. Exits 1 when a shard's manifest is missing (e.g. a Slurm \
            task that never ran) or unfinished (no manifest.shard-I-of-N.done beside it: a task cancelled \
            or killed halfway), naming it: the merged manifest then covers only what the shards wrote.
            """
    )

    @Argument(help: "Output folders of the shards.", completion: .directory) var folders: [String]
    @Option(help: "Where to write the merged manifest (default: FIRST/manifest.jsonl).", completion: .file()) var out: String?

    func run() throws {
        let result: ManifestMerger.Result
        do throws(MediaError) { result = try ManifestMerger.merge(folders, into: out) } catch {
            Output.printError("error: \(error.description)")
            throw ExitCode(1)
        }
        let summary = result.summary
        Output.printError("merged \(counted(result.manifests.count, "manifest")): \(counted(result.count, "input")) → \(result.path)")
        for line in summary.lines() { Output.printError(line) }
        let names = { (shards: [Shard]) in shards.map { "\($0.index) of \($0.count)" }.joined(separator: ", ") }
        if !result.missingShards.isEmpty {
            Output.printError("error: incomplete: no manifest for shard \(names(result.missingShards)); run them (--shard I/N, or the array task) and merge again")
        }
        if !result.unfinishedShards.isEmpty {
            Output.printError("error: incomplete: shard \(names(result.unfinishedShards)) did not finish (cancelled, killed or still running); "
                + "rerun them (they resume) and merge again")
        }
        if !result.missingShards.isEmpty || !result.unfinishedShards.isEmpty { throw ExitCode(1) }
    }
}
