import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media files`: the Files API (1,000 files and 10 GB per account).
struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Upload, list, inspect and delete files on the Moonshot Files API.",
        subcommands: [Upload.self, List.self, Get.self, Delete.self, Prune.self]
    )

    static func line(_ file: FileObject) -> String {
        let created = file.createdAt.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0))) } ?? "-"
        return "\(file.id)  \(file.bytes.map(String.init) ?? "-") B  \(file.purpose ?? "-")  \(file.status ?? "-")  \(created)  \(file.filename ?? "")"
    }

    static func fail(_ error: APIError) -> ExitCode {
        Output.printError("error: \(error)")
        return ExitCode(1)
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upload",
            abstract: "Upload files (streamed from disk); the same content is uploaded once (checked against the cache and the API).")

        @Argument(help: "Image or video files.", completion: .file()) var paths: [String]
        @Option(help: "image | video | file-extract | batch (default: from the file's kind).") var purpose: FilePurpose?
        @Flag(help: "Upload even when the cache knows the content.") var noCache = false
        @Flag(help: "One JSON object per line.") var json = false
        @OptionGroup var api: APIOptions

        func run() async throws { try await api.withClient { client in try await run(client) } }

        func run(_ client: MoonshotClient) async throws {
            var failed = 0
            for path in paths {
                let format = (try? Prober().probe(path: path))?.format
                let purpose = purpose ?? (format?.kind == .video ? .video : .image)
                let mime = format?.mimeType ?? "application/octet-stream"
                do throws(APIError) {
                    let (file, reused) = noCache
                        ? (try await client.upload(path: path, purpose: purpose, mimeType: mime), false)
                        : try await client.uploadOnce(path: path, purpose: purpose, mimeType: mime, cache: api.cache)
                    if json, let data = try? JSONEncoder.canonical().encode(UploadLine(path: path, reused: reused, file: file)) {
                        Output.print(String(decoding: data, as: UTF8.self))
                    } else if !json {
                        Output.print("\(reused ? "cached " : "uploaded") \(path) → \(file.reference) (\(file.bytes ?? 0) B)")
                    }
                } catch {
                    failed += 1
                    Output.printError("error: \(path): \(error)")
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct UploadLine: Encodable {
        var path: String
        var reused: Bool
        var file: FileObject
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the account's files, with the totals against the quota.")
        @Flag(help: "One JSON object per line.") var json = false
        @OptionGroup var api: APIOptions

        func run() async throws { try await api.withClient { client in try await run(client) } }

        func run(_ client: MoonshotClient) async throws {
            do throws(APIError) {
                let files = try await client.listFiles()
                for file in files {
                    if json, let data = try? JSONEncoder.canonical().encode(file) {
                        Output.print(String(decoding: data, as: UTF8.self))
                    } else if !json {
                        Output.print(FilesCommand.line(file))
                    }
                }
                let bytes = files.compactMap(\.bytes).reduce(0, +)
                Output.printError("\(files.count) of 1000 files, \(bytes) of 10000000000 bytes")
            } catch {
                throw FilesCommand.fail(error)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one file.")
        @Argument(help: "The file id (or ms://ID).") var id: String
        @OptionGroup var api: APIOptions

        func run() async throws { try await api.withClient { client in try await run(client) } }

        func run(_ client: MoonshotClient) async throws {
            do throws(APIError) {
                let file = try await client.file(id: id.hasPrefix("ms://") ? String(id.dropFirst(5)) : id)
                if let data = try? JSONEncoder.canonical().encode(file) { Output.print(String(decoding: data, as: UTF8.self)) }
            } catch {
                throw FilesCommand.fail(error)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete files (and forget them in the upload cache).")
        @Argument(help: "File ids (or ms://ID).") var ids: [String]
        @OptionGroup var api: APIOptions

        func run() async throws { try await api.withClient { client in try await run(client) } }

        func run(_ client: MoonshotClient) async throws {
            var failed = 0
            for raw in ids {
                let id = raw.hasPrefix("ms://") ? String(raw.dropFirst(5)) : raw
                do throws(APIError) {
                    _ = try await client.deleteFile(id: id)
                    try? api.cache.forget(id: id)
                    Output.print("deleted \(id)")
                } catch {
                    failed += 1
                    Output.printError("error: \(error)")
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Delete files older than a number of days (oldest first), to stay inside the quota.")
        @Option(help: "Delete files created more than this many days ago.") var olderThan: Double = 7
        @Option(help: "Only files of this purpose.") var purpose: FilePurpose?
        @Flag(help: "List what would be deleted, delete nothing.") var dryRun = false
        @OptionGroup var api: APIOptions

        func validate() throws { guard olderThan >= 0 else { throw ValidationError("--older-than must not be negative") } }

        func run() async throws { try await api.withClient { client in try await run(client) } }

        func run(_ client: MoonshotClient) async throws {
            let cutoff = Date().timeIntervalSince1970 - olderThan * 86_400
            do throws(APIError) {
                let old = try await client.listFiles()
                    .filter { Double($0.createdAt ?? .max) <= cutoff && (purpose == nil || $0.purpose == purpose?.rawValue) }
                    .sorted { ($0.createdAt ?? 0) < ($1.createdAt ?? 0) }
                for file in old {
                    if !dryRun {
                        _ = try await client.deleteFile(id: file.id)
                        try? api.cache.forget(id: file.id)
                    }
                    Output.print("\(dryRun ? "would delete" : "deleted") \(FilesCommand.line(file))")
                }
                Output.printError("\(counted(old.count, "file")) \(dryRun ? "to delete" : "deleted"), \(old.compactMap(\.bytes).reduce(0, +)) bytes")
            } catch {
                throw FilesCommand.fail(error)
            }
        }
    }
}

extension FilePurpose: ExpressibleByArgument {}
