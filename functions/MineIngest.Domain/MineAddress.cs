namespace MineIngest.Domain;

/// <summary>
/// A mine's id as part of its web address, <c>/api/mines/{province}/{mineId}</c>, with the id percent-encoded as
/// RFC 3986 says (<c>encodeURIComponent</c>, <c>Uri.EscapeDataString</c>). ASP.NET Core, the Functions host and the
/// worker decode every escape of a path but <c>%2F</c>, so a route value holds an encoded slash still encoded; and
/// clients and servers drop the dot segments "." and ".." from any path. So the ids a web address cannot carry are
/// refused at validation, and the route value is turned back into the id in one place.
/// </summary>
public static class MineAddress
{
    private const string EncodedSlash = "%2F";

    /// <summary>Why this id (trimmed) could never be opened by its address, or null when it can.</summary>
    public static ClerkText? Problem(string mineId) =>
        mineId is "." or ".." ? ClerkMessages.MineIdOnlyDots(mineId)
        : mineId.Contains(EncodedSlash, StringComparison.OrdinalIgnoreCase) ? ClerkMessages.MineIdEncodedSlash(mineId)
        : null;

    /// <summary>The mine id a <c>{mineId}</c> route value names: its encoded slashes decoded, the rest as the host gave it.</summary>
    public static string FromRoute(string routeValue) => routeValue.Replace(EncodedSlash, "/", StringComparison.OrdinalIgnoreCase);
}
