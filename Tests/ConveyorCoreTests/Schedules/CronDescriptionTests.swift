import ConveyorCore
import Foundation
import Testing

@Suite("Describing schedules")
struct CronDescriptionTests {
    @Test(
        arguments: [
            ("* * * * *", "UTC", "every minute, UTC"),
            ("*/5 * * * *", "UTC", "every 5 minutes, UTC"),
            ("0-59/15 * * * *", "UTC", "every 15 minutes, UTC"),
            ("15 * * * *", "UTC", "every hour at minute 15, UTC"),
            ("@hourly", "UTC", "every hour on the hour, UTC"),
            ("0 3 * * *", "Europe/Berlin", "every day at 03:00, Europe/Berlin"),
            ("@daily", "UTC", "every day at 00:00, UTC"),
            ("30 9 * * MON", "America/New_York", "every Monday at 09:30, America/New_York"),
            ("30 9 * * 1", "America/New_York", "every Monday at 09:30, America/New_York"),
            ("@weekly", "UTC", "every Sunday at 00:00, UTC"),
            ("0 8 * * 1-5", "UTC", "every weekday (Monday–Friday) at 08:00, UTC"),
            ("0 8 * * MON-FRI", "UTC", "every weekday (Monday–Friday) at 08:00, UTC"),
            ("0 0 1 * *", "UTC", "at 00:00 on day 1 of every month, UTC"),
            ("@monthly", "UTC", "at 00:00 on day 1 of every month, UTC"),
            ("0 0 1 1 *", "UTC", "at 00:00 on 1 January every year, UTC"),
            ("@yearly", "UTC", "at 00:00 on 1 January every year, UTC"),
            ("30 12 25 DEC *", "UTC", "at 12:30 on 25 December every year, UTC"),
            ("* * * * * *", "UTC", "every second, UTC"),
            ("*/30 * * * * *", "UTC", "every 30 seconds, UTC"),
            ("15 30 9 * * *", "UTC", "every day at 09:30:15, UTC"),
            ("0 0 1-31 * 1-5", "UTC", "every day at 00:00, UTC"),
            ("@every 30s", "UTC", "every 30 seconds"),
            ("@every 1h30m", "Europe/Berlin", "every 1 hour 30 minutes"),
            ("@every 90m", "UTC", "every 1 hour 30 minutes"),
            ("@every 1m", "UTC", "every 1 minute"),
            ("@every 2h", "UTC", "every 2 hours"),
            ("@every 1h0m1s", "UTC", "every 1 hour 1 second"),
        ] as [(String, String, String)])
    func describesCommonShapes(_ text: String, _ zoneName: String, _ expected: String) throws {
        #expect(try CronExpression(text).describe(in: zoneName) == expected)
    }

    @Test(arguments: [
        "*/7 1-5 * * 2,4",
        "0 0 13 * FRI",
        "0 0 */2 * FRI",
        "0 0 1-7 * MON",
        "0 0 31 * *",
        "0 0 29 2 *",
        "0 9,17 * * *",
        "*/5 * * * MON",
        "0 0 1 1,7 *",
        "30 * * * * *",
        "*/7 * * * *",
        "0 * * * 1-5",
        "0 8 * * 1-4",
    ])
    func fallsBackToTheExpressionWhenUnsure(_ text: String) throws {
        #expect(try CronExpression(text).describe(in: "UTC") == "cron \"\(text)\" (UTC)")
    }
}
