import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media balance`: what the account can spend (`GET /v1/users/me/balance`).
struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Show the account's available, voucher and cash balance (GET /v1/users/me/balance); exit 1 when nothing is available.")

    @Flag(help: "One JSON object.") var json = false
    @OptionGroup var api: APIOptions

    func run() async throws { try await api.withClient { client in try await run(client) } }

    func run(_ client: MoonshotClient) async throws {
        let balance: Balance
        do { balance = try await client.balance() } catch { throw FilesCommand.fail(error) }
        if json {
            if let data = try? JSONEncoder.canonical().encode(balance) { Output.print(String(decoding: data, as: UTF8.self)) }
        } else {
            func money(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
            Output.print("available \(money(balance.availableBalance))  (voucher \(money(balance.voucherBalance)), cash \(money(balance.cashBalance)))")
        }
        // The API refuses requests once nothing is available.
        if balance.availableBalance <= 0 {
            Output.printError("nothing available: requests will be refused until the account is topped up")
            throw ExitCode(1)
        }
    }
}
