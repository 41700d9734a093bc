import Foundation
import KimiMedia
import KimiMediaCLI
import Testing
import TestSupport

/// `estimate --remote`, `files` and `request` against the loopback stand-in; and a proof that the
/// key never appears in anything kimi-media prints or writes.
@Suite("API commands against the stand-in", .serialized)
struct APICommandTests {
    struct Setup {
        let server: MoonshotStandIn
        let folder: TemporaryFolder
        let api: [String]

        init(_ options: MoonshotStandIn.Options = .init()) async throws {
            server = try await MoonshotStandIn.start(options)
            folder = try TemporaryFolder()
            let keyFile = try folder.write("key.txt", Array((options.apiKey + "\n").utf8))
            api = ["--base-url", server.baseURL, "--api-key-file", keyFile, "--upload-cache", folder.path + "/uploads.json", "--attempts", "2"]
        }
    }

    /// `estimate --remote --video model`: the API counts the fitted file and the model-rate file
    /// (the stand-in with its own reading of each file's headers): equal, as the arithmetic says.
    @Test func remoteEstimateComparesTheModelRateFile() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let result = await run(["estimate", "--remote", "--json", "--video", "model"] + setup.api + [Fixture.video("with-audio.mp4"), Fixture.video("vp9.webm")])
        #expect(result.status == 0, "\(result.err)")
        let lines = try jsonLines(result.out)
        #expect(lines.count == 2)
        for line in lines {
            let rate = try #require(line["modelRate"] as? [String: Any])
            #expect((rate["fit"] as? Int ?? -1) == (rate["model"] as? Int ?? -2))
            #expect((rate["fit"] as? Int ?? 0) > 0)
        }
        let text = await run(["estimate", "--remote", "--video", "model"] + setup.api + [Fixture.video("with-audio.mp4")])
        #expect(text.out.contains("remote, the file prepare sends: --video fit") && text.out.contains("(equal)"), "\(text.out)")
    }

    @Test func remoteEstimateMatchesOffline() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let paths = [Fixture.image("jpeg-baseline.jpg"), Fixture.image("png-rgba.png"), Fixture.video("with-audio.mp4")]
        let reportPath = setup.folder.path + "/calibration.json"
        let result = await run(["estimate", "--remote", "--json", "--report", reportPath] + setup.api + paths)
        #expect(result.status == 0, "\(result.err)")
        // The calibration report: per item and by kind (the stand-in counts as we do: all exact).
        #expect(result.err.contains("image: 2 items, 2 exact, mean +0.0 tokens"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any]
        let aggregates = report?["aggregates"] as? [[String: Any]] ?? []
        #expect(aggregates.map { $0["kind"] as? String } == ["all", "image", "video"])
        #expect(aggregates.first?["items"] as? Int == 3 && aggregates.first?["exact"] as? Int == 3)
        #expect((report?["items"] as? [Any])?.count == 3)
        #expect(await run(["estimate", "--report", reportPath] + setup.api + paths).status == 2)  // --report needs --remote
        let lines = try jsonLines(result.out)
        #expect(lines.count == 3)
        for line in lines {
            #expect(line["difference"] as? Int == 0)
            // One message: 4 template tokens, and 4 of the generation prompt, counted by the stand-in's own rules.
            #expect(line["remoteTokens"] as? Int == (line["tokens"] as? Int ?? 0) + 8)
        }
        #expect(setup.server.fileCount == 0)  // the planner put the small MP4 inline
        // A WebM cannot go inline (the model reads inline video only as MP4): it goes up, once.
        for _ in 0..<2 { #expect(await run(["estimate", "--remote"] + setup.api + [Fixture.video("vp9.webm")]).status == 0) }
        #expect(setup.server.fileCount == 1)
        #expect(await run(["estimate", "--remote", "--dimensions", "10x10"] + setup.api).status == 2)
    }

    @Test func filesCommands() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let up = await run(["files", "upload", "--json"] + setup.api + [Fixture.video("h264.mp4"), Fixture.image("png-rgb.png")])
        #expect(up.status == 0, "\(up.err)")
        let uploaded = try jsonLines(up.out)
        let ids = uploaded.compactMap { ($0["file"] as? [String: Any])?["id"] as? String }
        #expect(ids.count == 2)
        #expect(uploaded.compactMap { ($0["file"] as? [String: Any])?["purpose"] as? String } == ["video", "image"])
        let list = await run(["files", "list", "--json"] + setup.api)
        #expect(try jsonLines(list.out).compactMap { $0["id"] as? String } == ids)
        #expect(list.err.contains("2 of 1000 files"))
        let get = await run(["files", "get"] + setup.api + ["ms://" + ids[0]])
        #expect(get.out.contains(ids[0]))
        #expect(await run(["files", "delete"] + setup.api + [ids[0]]).status == 0)
        #expect(await run(["files", "get"] + setup.api + [ids[0]]).status == 1)
        let dry = await run(["files", "prune", "--older-than", "0", "--dry-run"] + setup.api)
        #expect(dry.out.contains("would delete") && setup.server.fileCount == 1)
        #expect(await run(["files", "prune", "--older-than", "0"] + setup.api).status == 0)
        #expect(setup.server.fileCount == 0)
    }

    @Test func requestWrittenPlannedAndSent() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let body = setup.folder.path + "/request.json"
        let media = [Fixture.image("jpeg-baseline.jpg"), Fixture.video("vp9.webm")]
        let written = await run(["request", "--prompt", "What happens?", "--json", "--out", body] + setup.api + media)
        #expect(written.status == 0, "\(written.err)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(written.out.utf8)) as? [String: Any])
        let size = try FileManager.default.attributesOfItem(atPath: body)[.size] as? Int64
        #expect(summary["bodyBytes"] as? Int64 == size)
        let items = try #require(summary["items"] as? [[String: Any]])
        #expect(items.map { $0["delivery"] as? String } == ["inline", "inline"])
        #expect(items.map { $0["format"] as? String } == ["jpeg", "mp4"])  // the VP9 WebM was prepared as H.264 MP4
        let request = try JSONDecoder().decode(ChatRequest.self, from: Data(contentsOf: URL(fileURLWithPath: body)))
        #expect(request.model == "kimi-k2.6" && request.violations().isEmpty)

        // A small body limit sends the video through the Files API.
        let small = await run(["request", "--prompt", "What happens?", "--json", "--out", body, "--max-body-bytes", "60000"]
                              + setup.api + media)
        #expect(small.status == 0, "\(small.err)")
        let smallItems = try #require((try JSONSerialization.jsonObject(with: Data(small.out.utf8)) as? [String: Any])?["items"] as? [[String: Any]])
        #expect(smallItems.map { $0["delivery"] as? String } == ["inline", "upload"])
        #expect(setup.server.fileCount == 1)
        let inlineOnly = await run(["request", "--prompt", "x", "--inline-only", "--out", body, "--max-body-bytes", "60000"] + setup.api + media)
        #expect(inlineOnly.status == 1 && inlineOnly.err.contains("over the limit"))

        // Sent: the stand-in's answer; its prompt count differs from the offline estimate only by
        // how the two text rules split the prompt (media and template tokens agree exactly).
        let sent = await run(["request", "--prompt", "What happens?", "--send", "--out", body] + setup.api + media)
        #expect(sent.status == 0, "\(sent.err)")
        #expect(sent.out.contains("stand-in answer: 1 image(s), 1 video(s)"))
        let textDifference = StandInTokens.text("What happens?") - TextTokens.count("What happens?")
        #expect(sent.err.contains("difference \(textDifference))"), "\(sent.err)")

        // No key and uploads needed: a clear error.
        let noKey = await run(["request", "--prompt", "x", "--upload-all", "--out", body, "--base-url", setup.server.baseURL,
                               "--upload-cache", setup.folder.path + "/u.json"] + media)
        #expect(noKey.status == 1 && noKey.err.contains("must be uploaded"))
    }

    /// `request --segments`: one request per part, in order, each body valid and its prompt naming
    /// its part; the stand-in answers each.
    @Test func requestSendsEachPartInOrder() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let body = setup.folder.path + "/request.json"
        let sent = await run(["request", "--prompt", "What happens?", "--segments", "0.5", "--send", "--out", body]
                             + setup.api + [Fixture.video("h264.mp4")])
        #expect(sent.status == 0, "\(sent.err)")
        #expect(sent.out.components(separatedBy: "stand-in answer: 0 image(s), 1 video(s)").count == 5, "\(sent.out)")
        let headers = (1...4).compactMap { sent.out.range(of: "== part \($0) of 4")?.lowerBound }
        #expect(headers.count == 4 && headers == headers.sorted())
        for i in 1...4 {
            let path = setup.folder.path + String(format: "/request-part-%03d.json", i)
            let request = try JSONDecoder().decode(ChatRequest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(request.violations().isEmpty)
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            #expect(text.contains("What happens?") && text.contains("part \(i) of 4 of the video"))
        }
        let two = await run(["request", "--prompt", "x", "--segments", "auto", "--out", body] + setup.api
                            + [Fixture.video("h264.mp4"), Fixture.video("vp9.webm")])
        #expect(two.status != 0 && two.err.contains("--segments takes exactly one video"), "\(two.err)")
    }

    /// Whatever is printed or written — outputs, errors, manifests, request bodies, the upload cache —
    /// never contains the key, whether it is right or wrong.
    @Test func keyNeverAppears() async throws {
        let setup = try await Setup()
        defer { Task { await setup.server.stop() } }
        let key = setup.server.options.apiKey
        var everything = ""
        let body = setup.folder.path + "/request.json"
        let media = [Fixture.image("jpeg-baseline.jpg"), Fixture.video("h264.mp4")]
        for arguments in [["estimate", "--remote", "--json"] + setup.api + media,
                          ["files", "upload"] + setup.api + media,
                          ["files", "list"] + setup.api,
                          ["request", "--prompt", "x", "--upload-all", "--send", "--out", body] + setup.api + media,
                          ["prepare", "--json", "--out", setup.folder.path + "/out"] + media] {
            let result = await run(arguments)
            everything += result.out + result.err
        }
        setup.server.enqueue(.status(500, type: "server_error"), times: 2)
        let failed = await run(["files", "list"] + setup.api)
        #expect(failed.status == 1)
        everything += failed.out + failed.err
        let wrongKey = try setup.folder.write("wrong.txt", Array("sk-another-secret-value-77".utf8))
        let unauthorized = await run(["files", "list", "--base-url", setup.server.baseURL, "--api-key-file", wrongKey])
        #expect(unauthorized.status == 1 && unauthorized.err.contains("401"))
        #expect(!unauthorized.err.contains("sk-another-secret-value-77"))
        everything += unauthorized.out + unauthorized.err
        for file in ["request.json", "uploads.json", "out/manifest.jsonl"] {
            everything += (try? String(contentsOfFile: setup.folder.path + "/" + file, encoding: .utf8)) ?? ""
        }
        #expect(everything.count > 1000)
        #expect(!everything.contains(key))
    }
}

@Suite("prepare --remote against the stand-in")
struct PrepareRemoteTests {
    /// Each output's remote count lands in the manifest: one user message holding it, so the offline
    /// equivalent is its tokens + 4 template tokens; the video went up once.
    @Test func remoteTokensInTheManifest() async throws {
        let setup = try await APICommandTests.Setup()
        defer { Task { await setup.server.stop() } }
        let out = setup.folder.path + "/out"
        let result = await run(["prepare", "--remote", "--json", "--quiet", "--out", out] + setup.api
                               + [Fixture.image("png-rgba.png"), Fixture.video("wmv2.wmv")])
        #expect(result.status == 0, "\(result.err)")
        let lines = try jsonLines(result.out)
        #expect(lines.count == 2)
        for line in lines {
            #expect(line["remoteTokens"] as? Int == (line["tokens"] as? Int ?? -100) + 8)
        }
        #expect(setup.server.fileCount == 0)  // both outputs small enough to go inline (the video as MP4)
        // A token budget: the one-hour clip (10,800 tokens) made to fit 3,000 — 0.5 fps, then cut (its
        // 16×16 frames cannot shrink) — and the stand-in's own count of the written file agrees.
        let budgeted = await run(["prepare", "--remote", "--json", "--quiet", "--no-resume", "--frames", "none", "--budget", "3000",
                                  "--out", out] + setup.api + [Fixture.video("one-hour-16x16.mp4")])
        #expect(budgeted.status == 0, "\(budgeted.err)")
        let clip = try #require(try jsonLines(budgeted.out).first)
        let tokens = try #require(clip["tokens"] as? Int)
        #expect(tokens <= 3000 && tokens >= 2550, "\(tokens)")
        #expect(clip["remoteTokens"] as? Int == tokens + 8)
        let chosen = (clip["plan"] as? [String: Any])?["budget"] as? [String: Any]
        #expect((chosen?["moved"] as? [String]) == ["fps", "duration"] && chosen?["tokens"] as? Int == tokens, "\(String(describing: chosen))")
        // A failing API leaves the count out and says why; the file is still prepared. (At 3 a minute
        // no preflight request is spent, so the faults meet the estimate itself.)
        setup.server.enqueue(.status(500, type: "server_error"), times: 2)
        let again = await run(["prepare", "--remote", "--json", "--quiet", "--no-resume", "--rpm", "3", "--out", out] + setup.api
                              + [Fixture.image("png-rgba.png")])
        #expect(again.status == 0)
        let line = try #require(try jsonLines(again.out).first)
        #expect(line["remoteTokens"] is NSNull)
        #expect((line["diagnostics"] as? [[String: Any]])?.contains { $0["code"] as? String == "remote-estimate-failed" } == true)
    }
}
