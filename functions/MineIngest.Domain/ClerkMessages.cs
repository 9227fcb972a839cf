namespace MineIngest.Domain;

/// <summary>A message a province clerk reads, in English and in Persian; the two are always made together.</summary>
public sealed record ClerkText(string English, string Persian)
{
    public override string ToString() => English;
}

/// <summary>
/// Every file-level and row-level message a clerk can see (the report, the upload page, the CLI, the rows-to-fix
/// workbook), in both languages. Readers, the validator and the pipeline build their messages only here, so that a
/// test can walk this class and find each one's Persian form.
/// </summary>
public static class ClerkMessages
{
    private static string Show(double value) => value.ToString("0.##########", CultureInfo.InvariantCulture);
    private static string En(SurveyColumn column) => column.English;
    private static string Fa(SurveyColumn column) => column.Persian;

    // The file as a whole.

    public static ClerkText UnsupportedFileType(string extension) => new(
        $"Unsupported file type \"{extension}\": a survey must be an Excel workbook (.xlsx or .xls) or a CSV file (.csv).",
        $"نوع فایل «{extension}» پذیرفته نیست: فایل بررسی باید کاربرگ اکسل (.xlsx یا .xls) یا فایل CSV (.csv) باشد.");

    public static ClerkText EmptyFile() => new("The file is empty.", "فایل خالی است.");

    public static ClerkText FileTooLarge(long megabytes) => new(
        $"The file is larger than {megabytes} MB, the limit for one survey. Split it into smaller files and upload each.",
        $"حجم فایل بیش از {megabytes} مگابایت، سقف یک بررسی، است. آن را به چند فایل کوچک‌تر تقسیم کنید و هر کدام را جداگانه بارگذاری کنید.");

    public static ClerkText WorkbookTooLargeUnpacked(long megabytes) => new(
        $"The workbook is larger than {megabytes} MB once unpacked, the limit for a survey. " +
        "Split it into smaller files, or save it without images and unused sheets.",
        $"حجم کاربرگ پس از باز شدن بیش از {megabytes} مگابایت، سقف یک بررسی، است. " +
        "آن را به چند فایل کوچک‌تر تقسیم کنید یا بدون تصویر و برگه‌های بی‌استفاده ذخیره کنید.");

    public static ClerkText TooManyRows(int maxRows) => new(
        $"The file has more than {maxRows:N0} data rows, the limit for one survey. Split it into smaller files and upload each.",
        $"فایل بیش از {maxRows:N0} ردیف داده دارد که سقف یک بررسی است. آن را به چند فایل کوچک‌تر تقسیم کنید و هر کدام را جداگانه بارگذاری کنید.");

    public static ClerkText NotAnXlsxWorkbook() => new(
        "The file is not a readable Excel workbook (.xlsx): it may be damaged, incomplete, or another kind of file renamed. " +
        "Open it in Excel, save it again as .xlsx, and upload it again.",
        "فایل یک کاربرگ اکسل (.xlsx) خوانا نیست: ممکن است آسیب دیده، ناقص، یا فایلی از نوع دیگر با نام تغییریافته باشد. " +
        "آن را در اکسل باز کنید، دوباره با قالب .xlsx ذخیره کنید و دوباره بارگذاری کنید.");

    public static ClerkText NotAnXlsWorkbook() => new(
        "The file is not a readable Excel 97-2003 workbook (.xls): it may be damaged, incomplete, or another kind of file renamed. " +
        "Open it in Excel, save it again, and upload it again.",
        "فایل یک کاربرگ اکسل ۹۷-۲۰۰۳ (.xls) خوانا نیست: ممکن است آسیب دیده، ناقص، یا فایلی از نوع دیگر با نام تغییریافته باشد. " +
        "آن را در اکسل باز کنید، دوباره ذخیره کنید و دوباره بارگذاری کنید.");

    public static ClerkText HeaderMissingColumns(int headerRow, IReadOnlyList<SurveyColumn> missing) => new(
        $"The header in row {headerRow} is missing required column{(missing.Count > 1 ? "s" : "")}: " +
        string.Join(", ", missing.Select(c => c.DisplayName)) + ".",
        $"در سرستون ردیف {headerRow} این ستون‌های الزامی نیست: " + string.Join("، ", missing.Select(c => $"{Fa(c)} ({En(c)})")) + ".");

    public static ClerkText NoHeaderRow(IReadOnlyList<SurveyColumn> required) => new(
        "No header row was found: one of the first 20 rows of a sheet must name the survey's columns " +
        $"(at least four of: {string.Join(", ", required.Select(c => c.DisplayName))}). " +
        "Use the column names of the survey template, in English or Persian.",
        "سرستون پیدا نشد: یکی از ۲۰ ردیف نخست برگه باید نام ستون‌های بررسی را داشته باشد " +
        $"(دست‌کم چهار تا از: {string.Join("، ", required.Select(c => Fa(c)))}). " +
        "نام ستون‌ها را مانند الگوی بررسی، به فارسی یا انگلیسی، بنویسید.");

    public static ClerkText NotAProvinceFolder(string folder) => new(
        $"The file was uploaded to \"{folder}\", which is not a province folder: upload it under the province's own folder " +
        "(for example kerman/) or under national/.",
        $"فایل در «{folder}» بارگذاری شده که پوشه هیچ استانی نیست: آن را در پوشه خود استان (مانند kerman/) یا در national/ بارگذاری کنید.");

    public static ClerkText ReadFailedTooOften(int attempts) => new(
        $"The file could not be read after {attempts} tries, for a reason on our side, not in the file. " +
        "Upload it again later; if this message comes back, send the file to the programme office.",
        $"فایل پس از {attempts} بار تلاش خوانده نشد؛ علت از سامانه است نه از فایل. " +
        "بعداً دوباره بارگذاری کنید؛ اگر این پیام باز هم آمد، فایل را برای دفتر برنامه بفرستید.");

    // Rows.

    public static ClerkText RowsFailed(int firstRow, int lastRow) => new(
        $"Rows {firstRow} to {lastRow} could not be processed after several tries; the programme office has been told. Upload the survey again later.",
        $"ردیف‌های {firstRow} تا {lastRow} پس از چند بار تلاش پردازش نشدند؛ به دفتر برنامه خبر داده شد. بعداً بررسی را دوباره بارگذاری کنید.");

    public static ClerkText RowFailed() => new(
        "This row could not be processed after several tries; the programme office has been told. Upload the survey again later.",
        "این ردیف پس از چند بار تلاش پردازش نشد؛ به دفتر برنامه خبر داده شد. بعداً بررسی را دوباره بارگذاری کنید.");

    public static ClerkText Missing(SurveyColumn column) => new($"{En(column)} is missing.", $"«{Fa(column)}» خالی است.");

    public static ClerkText DuplicateRow(int firstRow, string? mineId) => new(
        $"duplicate of row {firstRow}: mine ID {mineId} appears earlier in this file.",
        $"تکرار ردیف {firstRow}: شناسه معدن {mineId} پیش‌تر در همین فایل آمده است.");

    public static ClerkText UnknownProvince(string value) => new(
        $"\"{value}\" is not a province of Iran. Write its name as in the province list, for example Kerman or کرمان.",
        $"«{value}» استانی از ایران نیست. نام استان را مانند فهرست استان‌ها بنویسید، برای نمونه کرمان یا Kerman.");

    public static ClerkText ProvinceNotFolder(Province province, string folder) => new(
        $"Province {province.English} does not match the folder \"{folder}\" the file was uploaded to: " +
        "a province's folder holds only its own mines.",
        $"استان {province.Persian} با پوشه «{folder}» که فایل در آن بارگذاری شده جور نیست: پوشه هر استان فقط معدن‌های همان استان را می‌گیرد.");

    public static ClerkText UnknownMineral(string value) => new(
        $"\"{value}\" is not a known mineral. Write it as in the mineral list, for example Chromite or کرومیت.",
        $"«{value}» ماده معدنی شناخته‌شده‌ای نیست. آن را مانند فهرست مواد معدنی بنویسید، برای نمونه کرومیت یا Chromite.");

    public static ClerkText UnknownStatus(string value) => new(
        $"\"{value}\" is not a known status: write idle, reviving, revived or active (راکد، در حال احیا، احیا شده، فعال).",
        $"«{value}» وضعیت شناخته‌شده‌ای نیست: یکی از راکد، در حال احیا، احیا شده یا فعال را بنویسید.");

    public static ClerkText UnknownProblem(string value) => new(
        $"\"{value}\" is not a known main problem: write financial, equipment, market, legal, environmental, technical, infrastructure or none.",
        $"«{value}» مشکل اصلی شناخته‌شده‌ای نیست: یکی از مالی، تجهیزات، بازار، حقوقی، زیست‌محیطی، فنی، زیرساخت یا هیچ را بنویسید.");

    public static ClerkText OutsideIran(SurveyColumn column, double value, double min, double max) => new(
        $"{Show(value)} is outside Iran ({min.ToString("0.0", CultureInfo.InvariantCulture)} to {max.ToString("0.0", CultureInfo.InvariantCulture)})",
        $"«{Fa(column)}» {Show(value)} بیرون از ایران است (از {min.ToString("0.0", CultureInfo.InvariantCulture)} تا {max.ToString("0.0", CultureInfo.InvariantCulture)}).");

    public static ClerkText GradeRequired(SurveyColumn column, Mineral mineral) => new(
        $"{En(column)} is missing: it is required for {mineral.English} ({mineral.GradeMeasure}).",
        $"«{Fa(column)}» خالی است: برای {mineral.Persian} ({mineral.GradeMeasure}) الزامی است.");

    public static ClerkText GradeOutOfRange(SurveyColumn column, double value) => new(
        $"{En(column)} must be between 0 and 100; found {Show(value)}.",
        $"«{Fa(column)}» باید بین ۰ و ۱۰۰ باشد؛ {Show(value)} نوشته شده است.");

    public static ClerkText GradeBelowCutoff(double grade, Mineral mineral, double cutoff) => new(
        $"Grade {Show(grade)}% is below the cut-off for {mineral.English} ({Show(cutoff)}% {mineral.GradeMeasure}).",
        $"عیار {Show(grade)}٪ کمتر از حد اقتصادی {mineral.Persian} است ({Show(cutoff)}٪ {mineral.GradeMeasure}).");

    public static ClerkText JobsCreatedAbovePotential(int created, int potential) => new(
        $"Jobs created ({created}) is greater than potential jobs ({potential}).",
        $"اشتغال ایجاد شده ({created}) بیشتر از اشتغال بالقوه ({potential}) است.");

    public static ClerkText RevivalDateMissing() => new(
        "The status is revived but the revival date is missing.",
        "وضعیت «احیا شده» است اما تاریخ احیا خالی است.");

    public static ClerkText NotANumber(SurveyColumn column, string text) => new(
        $"{En(column)} \"{text}\" is not a number.",
        $"«{Fa(column)}» مقدار «{text}» عدد نیست.");

    public static ClerkText Negative(SurveyColumn column, double value) => new(
        $"{En(column)} must be 0 or more; found {Show(value)}.",
        $"«{Fa(column)}» باید ۰ یا بیشتر باشد؛ {Show(value)} نوشته شده است.");

    public static ClerkText NotWholeNumber(SurveyColumn column, double value) => new(
        $"{En(column)} must be a whole number; found {Show(value)}.",
        $"«{Fa(column)}» باید عدد درست (بدون اعشار) باشد؛ {Show(value)} نوشته شده است.");

    public static ClerkText NotAYear(SurveyColumn column, double value) => new(
        $"{En(column)} must be a year, Jalali (1300 to 1499) or Gregorian (1900 to 2100); found {Show(value)}.",
        $"«{Fa(column)}» باید سال باشد، شمسی (۱۳۰۰ تا ۱۴۹۹) یا میلادی (۱۹۰۰ تا ۲۱۰۰)؛ {Show(value)} نوشته شده است.");

    public static ClerkText NotADate(SurveyColumn column, string text) => new(
        $"{En(column)} \"{text}\" is not a valid date: write year-month-day, as 1399-02-20 (Jalali) or 2020-05-09 (Gregorian).",
        $"«{Fa(column)}» مقدار «{text}» تاریخ درستی نیست: به صورت سال-ماه-روز بنویسید، مانند ۱۳۹۹-۰۲-۲۰ (شمسی) یا 2020-05-09 (میلادی).");

    public static ClerkText FutureDate(SurveyColumn column, string isoDate, string jalaliDate) => new(
        $"{En(column)} {isoDate} is in the future.",
        $"«{Fa(column)}» {jalaliDate} در آینده است.");

    public static ClerkText UnshowableCharacter(SurveyColumn column, int position, int codePoint) => new(
        $"{En(column)} holds a character that cannot be shown (U+{codePoint:X4}, character {position}): a control code or a broken "
        + "character, usually left by copying from another program. Delete it, type the text again, and send the row again.",
        $"«{Fa(column)}» نویسه‌ای دارد که نمایش داده نمی‌شود (U+{codePoint:X4}، نویسه {position}): یک کد کنترلی یا نویسه شکسته، "
        + "که معمولاً با رونوشت از برنامه‌ای دیگر می‌آید. آن را پاک کنید، متن را دوباره بنویسید و ردیف را دوباره بفرستید.");

    public static ClerkText MineIdOnlyDots(string mineId) => new(
        $"Mine ID \"{mineId}\" is only dots, which a web address cannot name: the mine could not be opened. Give the mine a code with letters or digits.",
        $"کد معدن «{mineId}» فقط نقطه است و نشانی وب نمی‌تواند آن را نام ببرد: معدن باز نمی‌شد. کدی با حرف یا رقم برای معدن بنویسید.");

    public static ClerkText MineIdEncodedSlash(string mineId) => new(
        $"Mine ID \"{mineId}\" holds \"%2F\", which web addresses read as a slash, so the mine could not be opened. Write \"/\" instead if that is meant.",
        $"کد معدن «{mineId}» نویسه‌های «%2F» را دارد که نشانی‌های وب آن را خط مورب می‌خوانند، پس معدن باز نمی‌شد. اگر منظور خط مورب است، «/» بنویسید.");

    // The upload route.

    public static ClerkText FileNameNeeded() => new(
        "A file name is needed, such as kerman-1403.xlsx.", "نام فایل لازم است، مانند kerman-1403.xlsx.");

    public static ClerkText NotASurveyFileName(string name) => new(
        $"\"{name}\" is not a survey file: only .xlsx, .xls and .csv files can be uploaded.",
        $"«{name}» فایل بررسی نیست: فقط فایل‌های .xlsx، .xls و .csv بارگذاری می‌شوند.");

    public static ClerkText UploadKeyNotAccepted(string header) => new(
        $"The {header} header is missing, wrong or revoked. Ask the programme office for a new key.",
        "کلید بارگذاری استان فرستاده نشده، نادرست است یا باطل شده است. از دفتر برنامه کلید تازه بخواهید.");

    public static ClerkText UploadKeyOfOtherProvince(string keyFolder, string province) => new(
        $"This key belongs to {keyFolder}; it cannot upload surveys for {province}.",
        $"این کلید از آنِ {keyFolder} است و با آن نمی‌توان برای {province} بررسی بارگذاری کرد.");

    public static ClerkText NotYourUpload() => new(
        "There is no survey of this province by that name.", "بررسی‌ای با این نام از این استان نیست.");

    public static ClerkText NotReadYet() => new(
        "The file has not been read yet; it is read within a few seconds of arriving.", "فایل هنوز خوانده نشده است؛ چند ثانیه پس از رسیدن خوانده می‌شود.");

    public static ClerkText StorageUnavailable() => new(
        "The survey store does not answer just now. Try again in a few minutes.", "پایگاه بررسی‌ها اکنون پاسخ نمی‌دهد. چند دقیقه دیگر دوباره امتحان کنید.");

    public static ClerkText RowsNoLongerKept() => new(
        "The rows of this survey are no longer kept (see the retention in the README). Fix the original file and send it again.",
        "ردیف‌های این بررسی دیگر نگه‌داری نمی‌شوند. فایل اصلی را اصلاح کنید و دوباره بفرستید.");

    public static ClerkText UploadBodyNotJson() => new(
        "The request body must be JSON such as {\"fileName\": \"kerman-1403.xlsx\"}.",
        "بدنه درخواست باید JSON باشد، مانند {\"fileName\": \"kerman-1403.xlsx\"}.");

    public static ClerkText WithdrawReasonMissing() => new(
        "Say why the survey is withdrawn: the request body must be JSON such as {\"reason\": \"last year's file sent by mistake\"}.",
        "بنویسید چرا این بررسی پس گرفته می‌شود: بدنه درخواست باید JSON باشد، مانند {\"reason\": \"فایل سال گذشته اشتباهی فرستاده شد\"}.");

    public static ClerkText WithdrawTooLate(int days) => new(
        $"A province can withdraw its own survey within {days} days of uploading it; after that, ask the programme office.",
        $"استان تا {days} روز پس از بارگذاری می‌تواند بررسی خود را پس بگیرد؛ پس از آن از دفتر برنامه بخواهید.");

    public static ClerkText WithdrawWhileProcessing() => new(
        "The survey is still being read or scored; withdraw it once its report is final.",
        "این بررسی هنوز در حال خواندن یا امتیازدهی است؛ پس از نهایی شدن گزارش آن را پس بگیرید.");

    public static ClerkText WithdrawKeyNeeded(string writerHeader, string provinceHeader) => new(
        $"Withdrawing a survey needs the programme office's writer key ({writerHeader}) or the survey's own province key ({provinceHeader}).",
        "پس گرفتن بررسی به کلید نویسنده دفتر برنامه یا کلید بارگذاری همان استان نیاز دارد.");

    // Sign-in: what the app answers a call it cannot let through.

    public static ClerkText SignInNeeded() => new(
        "Sign in first: this needs a sign-in with your organisation account (a bearer token in the Authorization header).",
        "نخست وارد شوید: این کار به ورود با حساب سازمانی شما نیاز دارد (توکن در سرآیند Authorization).");

    public static ClerkText SignInNotAccepted() => new(
        "Your sign-in was not accepted (it has expired, or it is not for this app). Sign in again.",
        "ورود شما پذیرفته نشد (زمانش گذشته یا برای این سامانه نیست). دوباره وارد شوید.");

    public static ClerkText OfficeRoleNeeded(string role) => new(
        $"Your account does not have the programme office's {role} role that this needs. Ask the programme office to assign it.",
        $"حساب شما نقش «{role}» دفتر برنامه را که این کار لازم دارد ندارد. از دفتر برنامه بخواهید آن را به شما بدهد.");

    public static ClerkText TooManyRequests(int seconds) => new(
        $"Too many requests from you in a short time. Wait {seconds} seconds and try again; other provinces are not affected.",
        $"در زمانی کوتاه درخواست‌های زیادی از شما رسیده است. {seconds} ثانیه صبر کنید و دوباره بفرستید؛ استان‌های دیگر تأثیری نمی‌بینند.");

    public static ClerkText RequestTooLarge(long kilobytes) => new(
        $"The request is larger than this address takes ({kilobytes:N0} KB). Send fewer rows at a time.",
        $"درخواست بزرگ‌تر از اندازه‌ای است که این نشانی می‌پذیرد ({kilobytes:N0} کیلوبایت). ردیف‌های کمتری را در هر بار بفرستید.");

    public static ClerkText RequestTooDeep(int depth) => new(
        $"The request nests more than {depth} levels deep, which no form of this system sends. Nothing was done.",
        $"درخواست بیش از {depth} لایه تودرتو است که هیچ فرمی از این سامانه نمی‌فرستد. هیچ کاری انجام نشد.");

    public static ClerkText RequestTextTooLong(int kilobytes) => new(
        $"A text in the request is longer than {kilobytes} KB. Shorten it and send again. Nothing was done.",
        $"یکی از متن‌های درخواست بلندتر از {kilobytes} کیلوبایت است. آن را کوتاه کنید و دوباره بفرستید. هیچ کاری انجام نشد.");

    public static ClerkText RouteHasNoRule() => new(
        "This address has no access rule, so it is closed to everyone. Tell the programme office.",
        "برای این نشانی هیچ قاعده دسترسی تعریف نشده است، پس به روی همه بسته است. به دفتر برنامه اطلاع دهید.");

    public static ClerkText ProvinceRoleNeeded(string province) => new(
        $"Your account is not assigned to {province}: you can upload and see only the surveys of the province you are assigned to.",
        $"حساب شما به {province} اختصاص نیافته است: فقط بررسی‌های استانی را که به آن اختصاص یافته‌اید می‌توانید بارگذاری کنید و ببینید.");

    public static ClerkText KeysNotAcceptedWithSignIn() => new(
        "Upload and writer keys are not accepted here: sign in with your organisation account instead.",
        "کلید بارگذاری و کلید نویسنده اینجا پذیرفته نیست: به جای آن با حساب سازمانی خود وارد شوید.");

    // Checking rows in the upload page before they are sent.

    public static ClerkText TooManyRowsToCheck(int max) => new(
        $"At most {max:N0} rows can be checked at once. Check them in parts, or send the file and read its report.",
        $"در هر بار حداکثر {max:N0} ردیف بررسی می‌شود. آن‌ها را در چند بخش بررسی کنید، یا فایل را بفرستید و گزارشش را بخوانید.");

    public static ClerkText RowsToCheckNotJson() => new(
        "The request body must be JSON such as {\"rows\": [{\"row\": 7, \"values\": {\"mine_id\": \"CHR-0031\", \"mineral\": \"Chromite\"}}]}.",
        "بدنه درخواست باید JSON باشد: فهرست ردیف‌ها زیر rows، هر ردیف با شماره‌اش در بررسی و مقدار ستون‌هایش به نام کلید ستون.");

    public static ClerkText UnknownColumns(string keys) => new(
        $"These are not survey columns: {keys}. Use the column keys of the survey template (mine_id, mine_name, province, ...).",
        $"این‌ها ستون بررسی نیستند: {keys}. کلیدهای ستون‌های الگوی بررسی را به کار ببرید (mine_id، mine_name، province، ...).");
    // Photos a surveyor took at a mine.

    public static ClerkText PhotoNotAPicture() => new(
        "This file is not a photo: send a JPEG or PNG picture from the camera or the phone's gallery.",
        "این فایل عکس نیست: یک تصویر JPEG یا PNG از دوربین یا گالری گوشی بفرستید.");

    public static ClerkText PhotoTooManyPixels(int megapixels) => new(
        $"The photo has more than {megapixels} million pixels. Send it from the field form, which makes it smaller, or make it smaller first.",
        $"عکس بیش از {megapixels} میلیون پیکسل دارد. آن را با فرم میدانی بفرستید که کوچکش می‌کند، یا نخست کوچکش کنید.");

    public static ClerkText PhotoEmpty() => new("The photo is empty: take it again.", "عکس خالی است: دوباره عکس بگیرید.");

    public static ClerkText PhotoNumber(int max) => new(
        $"A mine can have at most {max} photos from one survey; the photo's number must be 1 to {max}.",
        $"هر معدن در هر بررسی حداکثر {max} عکس دارد؛ شماره عکس باید از ۱ تا {max} باشد.");

    public static ClerkText PhotoNotForNational() => new(
        "Photos are kept with a province's surveys: send the mine and its photos from the field form signed in for its province.",
        "عکس‌ها با بررسی‌های استان نگه داشته می‌شوند: معدن و عکس‌هایش را با فرم میدانیِ استانِ آن بفرستید.");

    public static ClerkText PhotoSurveyNotFound() => new(
        "The photo's survey is not one of this province's surveys. Send the survey first; its photos go after its report.",
        "بررسیِ این عکس از بررسی‌های این استان نیست. نخست بررسی را بفرستید؛ عکس‌ها پس از گزارش آن فرستاده می‌شوند.");

    public static ClerkText PhotoMineNotAccepted(string mineId) => new(
        $"Mine \"{mineId}\" was not accepted in this survey, so its photos cannot be kept with it. Correct the mine's entry and send it again.",
        $"معدن «{mineId}» در این بررسی پذیرفته نشد، پس عکس‌هایش با آن نگه داشته نمی‌شود. ردیف معدن را اصلاح کنید و دوباره بفرستید.");
}
