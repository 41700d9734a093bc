import ArgumentParser
import Foundation
@testable import KimiMediaCLI
import Testing
import TestSupport

/// The common command lines are made into commands without ArgumentParser (``CommonCommandLine``):
/// each must be exactly the command ArgumentParser makes of the same line, every property (options
/// groups included) compared by `dump`, which shows a value ArgumentParser's wrapper holds, or that
/// it holds none; every other line must be left to ArgumentParser.
@Suite("common command lines")
struct CommonCommandLineTests {
    /// Every property of `command`, nested groups included, as `dump` writes them; less an option
    /// group's help title, which ArgumentParser's decoded groups do not keep (help is made from the
    /// declarations, never from a parsed command).
    func described(_ command: Any) -> String {
        var text = ""
        dump(command, to: &text)
        return text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("- title: ") }.joined(separator: "\n")
    }

    static let taken: [[String]] = [
        ["probe", "a.jpg"],
        ["probe", "--json", "a.jpg"],
        ["probe", "a.jpg", "--json", "b folder", "c=d.png"],
        ["probe", "a.jpg", "b.mp4", "c", "d"],
        ["probe", ""],
        ["prepare", "a.jpg", "--out", "out"],
        ["prepare", "--out", "out", "a.jpg"],
        ["prepare", "--out=out", "a.jpg", "b"],
        ["prepare", "a.jpg", "--quiet", "--out", "o u t", "--json", "folder"],
        ["prepare", "--json", "--quiet", "a.jpg", "--out=x=y"],
    ]

    @Test(arguments: taken)
    func takenLinesMakeArgumentParsersCommand(_ line: [String]) throws {
        let common = try #require(CommonCommandLine.command(line))
        let parsed = try KimiMediaCommand.parseAsRoot(line)
        #expect(described(common) == described(parsed))
        #expect(type(of: common) == type(of: parsed))
        #expect(!described(common).contains("definition"))
    }

    static let left: [[String]] = [
        [], ["probe"], ["prepare"], ["help"], ["help", "probe"], ["--version"], ["estimate", "a.jpg"], ["Probe", "a.jpg"],
        ["probe", "--help"], ["probe", "-h"], ["probe", "help"], ["probe", "--", "a.jpg"], ["probe", "-"], ["probe", "-x.jpg"],
        ["probe", "--json", "--json", "a.jpg"], ["probe", "--json=true", "a.jpg"], ["probe", "--jobs", "2", "a.jpg"],
        ["probe", "--max-pixels=100", "a.jpg"], ["probe", "--allow-truncated", "a.jpg"], ["probe", "--out", "o", "a.jpg"],
        ["probe", "--generate-completion-script", "bash"], ["probe", "--experimental-dump-help"],
        ["prepare", "a.jpg"], ["prepare", "--out", "o"], ["prepare", "a.jpg", "--out"], ["prepare", "a.jpg", "--out", "--quiet"],
        ["prepare", "a.jpg", "--out", "-o"], ["prepare", "a.jpg", "--out="], ["prepare", "a.jpg", "--out", "o", "--out", "p"],
        ["prepare", "a.jpg", "--out", "o", "--quiet", "--quiet"], ["prepare", "a.jpg", "--out", "o", "--fit", "model"],
        ["prepare", "a.jpg", "--out", "o", "--quiet=yes"], ["prepare", "a.jpg", "--out", "o", "-q"], ["prepare", "help", "--out", "o"],
        ["prepare", "a.jpg", "--out", "o", "--files-from", "-"], ["prepare", "--out", "o", "--", "a.jpg"],
    ]

    @Test(arguments: left)
    func otherLinesAreLeftToArgumentParser(_ line: [String]) {
        #expect(CommonCommandLine.command(line) == nil)
    }

    /// A taken line runs the command ArgumentParser would run: the same output and exit status as the
    /// same options spelt so that ArgumentParser parses them (`--jobs` at its default).
    @Test func aTakenLineRunsLikeTheParsedOne() async throws {
        let paths = [Fixture.image("jpeg-orientation-6.jpg"), Fixture.image("png-rgba.png")]
        let jobs = String(ProcessInfo.processInfo.activeProcessorCount)
        #expect(CommonCommandLine.command(["probe", "--json"] + paths) != nil)
        #expect(CommonCommandLine.command(["probe", "--json", "--jobs", jobs] + paths) == nil)
        let common = await run(["probe", "--json"] + paths)
        let parsed = await run(["probe", "--json", "--jobs", jobs] + paths)
        #expect(common.status == 0 && parsed.status == 0)
        #expect(Set(common.out.split(separator: "\n")) == Set(parsed.out.split(separator: "\n")))
        #expect(common.out.split(separator: "\n").count == 2)
    }
}
