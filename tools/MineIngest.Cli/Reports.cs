using MineIngest.Pipeline;
using MineIngest.Pipeline.Api;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>What a clerk reads after an upload: counts, then every rejected row with its reasons.</summary>
public static class Reports
{
    public static int ShowSurvey(IAnsiConsole console, SurveyDto survey)
    {
        console.MarkupLineInterpolated($"Survey [bold]{survey.Blob}[/] ({survey.Id}): {survey.Status}");
        if (survey.Status == "rejected")
        {
            console.MarkupLineInterpolated($"[red]The whole file was rejected:[/] {survey.Error}");
            if (survey.ErrorFa is { } persian) console.MarkupLineInterpolated($"{persian}");
            return ExitCodes.RowsRejected;
        }
        console.MarkupLineInterpolated(
            $"rows {survey.Rows}, accepted {survey.Accepted}, rejected {survey.Rejected}, failed {survey.Failed}, pending {survey.Pending}");
        if (survey.Withdrawal is { } w)
            console.MarkupLineInterpolated(
                $"[yellow]Withdrawn[/] by {w.By} on {w.RequestedAt:yyyy-MM-dd HH:mm} UTC: {w.Reason}. {w.Done} of {w.Mines} mines done: {w.Restored} restored, {w.Removed} removed, {w.Untouched} untouched ({w.Status}).");
        if (survey.Errors is { Count: > 0 } errors)
        {
            var table = new Table().AddColumns("Row", "Mine", "Field", "Problem / مشکل");
            foreach (var e in errors.OrderBy(e => e.Row))
                table.AddRow(e.Row.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(e.MineId ?? ""), Markup.Escape(e.Field ?? ""), Markup.Escape(e.Message + "\n" + e.MessageFa));
            console.Write(table);
        }
        if (survey.Failed > 0)
            console.MarkupLine("[yellow]Some rows failed inside MineIngest (not because of the file); the programme office can see them.[/]");
        return survey.Rejected > 0 || survey.Failed > 0 ? ExitCodes.RowsRejected : ExitCodes.AllWentThrough;
    }

    public static void ShowSummary(IAnsiConsole console, Summary summary, AnswerAge age)
    {
        if (age.Stale)
            console.MarkupLine("[yellow]" + Markup.Escape($"Storage did not answer: these figures are as of {age.CheckedAt:yyyy-MM-dd HH:mm:ss} UTC, {age.AgeSeconds:0} s ago.") + "[/]");
        var table = new Table().AddColumns("Figure", "Value");
        void Row(string name, object value) => table.AddRow(name, Markup.Escape(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        Row("mines", summary.Mines);
        Row("provinces", summary.Provinces);
        Row("tier A / B / C", $"{summary.ByTier.A} / {summary.ByTier.B} / {summary.ByTier.C}");
        Row("idle / reviving / revived / active", $"{summary.ByStatus.Idle} / {summary.ByStatus.Reviving} / {summary.ByStatus.Revived} / {summary.ByStatus.Active}");
        Row("jobs potential", summary.JobsPotential);
        Row($"revived {summary.From ?? "(any date)"} to {summary.To ?? "(any date)"}", summary.Revived);
        Row("jobs created", summary.JobsCreated);
        Row("as of", age.CheckedAt is { } at ? at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "");
        console.Write(table);
    }
}
