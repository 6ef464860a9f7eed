"""What the demo's complainants, patients and staff write, in Arabic and English.

Complaints are grouped in topics (what they are about, the HCAT coding a
coordinator gives them, the departments they happen in). Each topic has
several wordings, written as people write to a Saudi hospital: most in
Arabic, some in English (expatriate patients). ``who`` says who is writing:
the patient (``self``), their son or daughter (``child``), their parent
(``parent``) or their spouse (``spouse``).

Placeholders: ``{clinic}`` (the department, as a patient names it),
``{doctor}`` (the physician named), ``{nurse}`` and ``{staff}`` (the member of
staff named, by first name), ``{city}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    who: str
    summary: str
    text: str
    department: str = ""  # the department this wording is about, when the topic has several
    severity: int = 0  # the main issue's severity, when this wording sets it
    harm: int = -1
    nurse: bool = False  # names the ward's nurse
    front_desk: bool = False  # names the front-desk supervisor


@dataclass(frozen=True)
class Topic:
    code: str
    family: str
    weight: int
    departments: tuple[str, ...]
    # (HCAT category code, lowest severity, highest severity, lowest harm, highest harm); the first is always coded
    issues: tuple[tuple[str, int, int, int, int], ...]
    ar: tuple[Wording, ...]
    en: tuple[Wording, ...]
    stage: str = ""  # empty: the stage of care follows the department
    medical: bool = False
    physician: bool = False  # the physician of the department is named when there is one


# How patients name the departments, in their language.
CLINICS = {
    "OPD": ("العيادات الخارجية", "outpatient clinics"),
    "CARD": ("عيادة القلب", "cardiology clinic"),
    "ENDO": ("عيادة السكري والغدد", "diabetes and endocrine clinic"),
    "ORTH": ("عيادة العظام", "orthopaedic clinic"),
    "PED": ("عيادة الأطفال", "paediatric clinic"),
    "MED": ("عيادة الباطنة", "internal medicine clinic"),
    "SURG": ("عيادة الجراحة", "surgical clinic"),
    "ED": ("الطوارئ", "emergency department"),
    "WARD3": ("الجناح الثالث", "Ward 3"),
    "PHAR": ("الصيدلية الخارجية", "outpatient pharmacy"),
}

STAGE_BY_DEPARTMENT = {
    "ED": "emergency",
    "WARD3": "care",
    "PHAR": "pharmacy",
    "SURG": "operation",
}

W = Wording

TOPICS: tuple[Topic, ...] = (
    Topic(
        code="clinic_wait",
        family="access",
        weight=20,
        departments=("ORTH", "CARD", "ENDO", "PED", "MED", "SURG"),
        issues=(("appointment_delays", 1, 2, 0, 0), ("communication", 1, 1, 0, 0), ("staff_attitude", 1, 1, 0, 0)),
        stage="outpatient",
        physician=True,
        ar=(
            W(
                "self",
                "تأخر الدخول على الطبيب ساعتين ونصف عن الموعد",
                "موعدي في {clinic} الساعة التاسعة صباحاً وحضرت قبله بربع ساعة، ولم أدخل على الطبيب إلا بعد "
                "الحادية عشرة والنصف. سألت الاستقبال أكثر من مرة ولم يعطني أحد سبباً واضحاً، وبعض المراجعين "
                "الذين جاؤوا بعدي دخلوا قبلي.",
            ),
            W(
                "child",
                "انتظار طويل لوالدي المسن في العيادة",
                "والدي عمره ٧٨ سنة ومريض سكر، وموعده في {clinic} الساعة العاشرة. انتظرنا حتى الواحدة ظهراً على "
                "كراسي الانتظار بدون أي توضيح، ولما سألنا قالوا الطبيب عنده حالات كثيرة. كبار السن يستحقون مراعاة "
                "أكثر من كذا.",
            ),
            W(
                "self",
                "الطبيب لم يبدأ العيادة في وقت المواعيد",
                "حضرت لموعدي في {clinic} واكتشفت بعد ساعة ونصف من الانتظار أن الطبيب لم يبدأ العيادة أصلاً لأنه "
                "في العمليات. لو أبلغونا برسالة كان أجلت الموعد ووفرت على نفسي إجازة من الدوام.",
            ),
            W(
                "parent",
                "انتظار ثلاث ساعات مع طفلي في العيادة",
                "موعد ابني في {clinic} الساعة الثامنة والنصف، وبقينا إلى الحادية عشرة والنصف والطفل متعب ويبكي. "
                "المكان مزدحم ولا يوجد ركن للأطفال، ولا أحد يعطينا وقتاً تقريبياً للدخول.",
            ),
            W(
                "self",
                "دخول مراجعين بدون مواعيد قبل أصحاب المواعيد",
                "كنت أول موعد في {clinic} ومع ذلك انتظرت ساعة كاملة، لأن الممرضة كانت تُدخل مراجعين بدون مواعيد "
                "قبلنا. إذا كان هناك نظام للمواعيد فيجب الالتزام به.",
            ),
        ),
        en=(
            W(
                "self",
                "Seen two and a half hours after my appointment time",
                "My appointment at the {clinic} was at 9:00. I arrived at 8:45 and was not called in until after "
                "11:30. Nobody at reception could tell me why, and patients who came after me were seen first.",
            ),
            W(
                "child",
                "Elderly father kept waiting for three hours",
                "My father is 80 and diabetic. His appointment at the {clinic} was at 10:00 and we waited until 1 pm "
                "without any update. Elderly patients should not have to sit that long.",
            ),
        ),
    ),
    Topic(
        code="appointment_postponed",
        family="access",
        weight=10,
        departments=("ORTH", "CARD", "ENDO", "MED", "SURG", "PED"),
        issues=(("appointment_delays", 1, 2, 0, 1), ("communication", 1, 2, 0, 0)),
        stage="outpatient",
        ar=(
            W(
                "child",
                "تأجيل موعد المتابعة مرتين برسالة نصية",
                "وصلتنا رسالة بتأجيل موعد والدتي في {clinic} للمرة الثانية بدون أي توضيح، ونحن ننتظر هذا الموعد "
                "منذ ثلاثة أشهر. والدتي تحتاج مراجعة أدويتها ولا نعرف متى الموعد الجديد.",
            ),
            W(
                "self",
                "لا يوجد موعد متاح قبل أربعة أشهر",
                "طلب مني الطبيب المراجعة بعد شهر مع نتائج التحاليل، وحاولت الحجز عن طريق التطبيق وعن طريق الاتصال، "
                "وأقرب موعد في {clinic} بعد أربعة أشهر. كيف أتابع حالتي بهذه الطريقة؟",
            ),
            W(
                "self",
                "إلغاء الموعد بعد الوصول للمستشفى",
                "جئت من خارج {city} لموعدي في {clinic}، وعند وصولي قالوا إن الطبيب في إجازة والموعد ملغي، ولم "
                "يتصل بي أحد قبلها. ضاع علي يوم كامل ومصاريف الطريق.",
            ),
            W(
                "self",
                "حجز الموعد في عيادة غير المطلوبة",
                "تم تحويلي من طبيب الأسرة إلى {clinic}، لكن الموعد انحجز في عيادة أخرى واكتشفت ذلك بعد ساعة "
                "انتظار. طلبوا مني أن أحجز من جديد وأقرب موعد بعد شهرين.",
            ),
        ),
        en=(
            W(
                "self",
                "Follow-up appointment postponed twice",
                "I received a text postponing my {clinic} appointment for the second time, with no explanation. "
                "I have been waiting three months for this follow-up and my medication needs reviewing.",
            ),
            W(
                "self",
                "Appointment cancelled after I arrived",
                "I took the day off work and was told at the {clinic} that the doctor was on leave and my "
                "appointment had been cancelled. Nobody called or texted me beforehand.",
            ),
        ),
    ),
    Topic(
        code="booking_and_referrals",
        family="access",
        weight=5,
        departments=("OPD",),
        issues=(("institutional_processes", 1, 2, 0, 0), ("communication", 1, 1, 0, 0)),
        stage="admission",
        ar=(
            W(
                "self",
                "صعوبة التواصل مع مركز المواعيد",
                "أتصل على رقم المواعيد من الصباح ولا أحد يرد، والخط ينقطع بعد الانتظار ربع ساعة. حاولت في التطبيق "
                "والموعد الذي أحتاجه غير ظاهر. أريد تعديل موعدي فقط.",
            ),
            W(
                "self",
                "تأخر الرد على طلب التحويل",
                "طلب الطبيب تحويلي إلى مستشفى تخصصي قبل أكثر من شهر، وكلما سألت مكتب التحويل يقولون الطلب تحت "
                "الإجراء. لم يصلني أي رد ولا أعرف إلى من أرجع.",
            ),
            W(
                "child",
                "عدم جمع مواعيد والدي في يوم واحد",
                "والدي عنده ثلاثة مواعيد في ثلاثة أيام مختلفة من نفس الأسبوع، وطلبنا جمعها في يوم واحد لأنه يحتاج "
                "كرسياً متحركاً ومرافقاً، فقال لنا مشرف الاستقبال الأستاذ {staff} إن النظام لا يسمح.",
                front_desk=True,
            ),
        ),
        en=(
            W(
                "self",
                "Cannot get through to the appointments line",
                "I have been calling the appointments number all morning. Nobody answers and the line drops after "
                "fifteen minutes on hold. I only need to reschedule.",
            ),
        ),
    ),
    Topic(
        code="emergency_wait",
        family="waiting",
        weight=6,
        departments=("ED",),
        issues=(("waiting_time", 1, 2, 0, 1), ("communication", 1, 1, 0, 0), ("environment", 1, 1, 0, 0)),
        ar=(
            W(
                "parent",
                "انتظار أكثر من أربع ساعات في الطوارئ مع طفل محموم",
                "أحضرت ابني إلى الطوارئ الساعة العاشرة مساءً وحرارته ٣٩ ونصف، وبقينا أكثر من أربع ساعات قبل أن "
                "يراه الطبيب. الفرز كان سريعاً لكن بعده لم يسأل عنا أحد، والطفل كان يستفرغ في صالة الانتظار.",
            ),
            W(
                "child",
                "تأخر الكشف على والدتي في الطوارئ",
                "والدتي عندها ألم شديد في البطن، وانتظرنا في الطوارئ من الثانية ظهراً إلى السابعة مساءً ولم تُعطَ "
                "أي مسكن حتى رآها الطبيب. نتفهم أن الحالات الحرجة لها الأولوية، لكن خمس ساعات كثيرة.",
            ),
            W(
                "self",
                "البقاء في الطوارئ يومين بانتظار سرير",
                "تقرر تنويمي بعد الكشف، لكني بقيت في الطوارئ على نقالة قرابة يومين بانتظار سرير في الجناح، بدون "
                "خصوصية ولا مكان للمرافق.",
            ),
        ),
        en=(
            W(
                "self",
                "Five hours in the emergency waiting area",
                "I came to the emergency department with severe abdominal pain at 2 pm and was not seen by a "
                "doctor until 7 pm. I was given nothing for the pain while waiting and nobody told me how long it "
                "would be.",
            ),
            W(
                "spouse",
                "My wife waited two days on a trolley for a bed",
                "My wife was admitted from the emergency department but spent almost two days on a trolley in the "
                "corridor waiting for a ward bed, with no privacy.",
            ),
        ),
    ),
    Topic(
        code="pharmacy_wait",
        family="waiting",
        weight=5,
        departments=("PHAR",),
        issues=(("waiting_time", 1, 1, 0, 0), ("institutional_processes", 1, 1, 0, 0), ("environment", 1, 1, 0, 0)),
        ar=(
            W(
                "self",
                "انتظار ساعة ونصف في الصيدلية",
                "بعد انتهاء موعدي انتظرت في الصيدلية الخارجية أكثر من ساعة ونصف لصرف الدواء. كان شباك واحد فقط "
                "يعمل والزحام شديد، ولا يوجد نظام أرقام واضح.",
            ),
            W(
                "self",
                "الدواء غير متوفر في الصيدلية منذ شهر",
                "الدواء الذي وصفه لي الطبيب غير متوفر في الصيدلية منذ شهر، وكل مرة يقولون راجع بعد أسبوع. اضطررت "
                "لشرائه من صيدلية خارجية على حسابي.",
            ),
            W(
                "child",
                "تأخر صرف أدوية الخروج",
                "خرج والدي من التنويم وانتظرنا أدوية الخروج في الصيدلية ثلاث ساعات، ووالدي على كرسي متحرك ومتعب.",
            ),
        ),
        en=(
            W(
                "self",
                "Long wait at the outpatient pharmacy",
                "I waited over an hour and a half at the outpatient pharmacy to collect my prescription. Only one "
                "window was open and there was no queue number system.",
            ),
        ),
    ),
    Topic(
        code="tests_wait",
        family="waiting",
        weight=4,
        departments=("OPD", "ORTH", "MED"),
        issues=(("waiting_time", 1, 2, 0, 1), ("appointment_delays", 1, 1, 0, 0)),
        stage="examination",
        ar=(
            W(
                "self",
                "تأخر سحب عينات التحاليل",
                "حضرت لسحب التحاليل الساعة السابعة والنصف بعد صيام اثنتي عشرة ساعة، ولم تُسحب العينة إلا بعد "
                "العاشرة. يفترض أن تكون هناك أولوية لكبار السن والصائمين ومرضى السكر.",
            ),
            W(
                "self",
                "موعد الرنين المغناطيسي بعد ستة أسابيع",
                "طلب الطبيب أشعة رنين مغناطيسي على الظهر بشكل عاجل، وأعطوني موعداً بعد ستة أسابيع. الألم مستمر ولا "
                "أستطيع الدوام، ولم يتواصل معي أحد لتقديم الموعد.",
            ),
            W(
                "self",
                "تأخر ظهور نتائج التحاليل",
                "عملت التحاليل قبل عشرة أيام وإلى الآن لم تظهر النتائج في الملف، والطبيب لا يستطيع تعديل العلاج "
                "بدونها.",
            ),
        ),
        en=(
            W(
                "self",
                "Urgent MRI booked six weeks away",
                "My doctor asked for an urgent MRI of my back, but the earliest slot I was given is six weeks away. "
                "I am in constant pain and unable to work.",
            ),
        ),
    ),
    Topic(
        code="discharge_delay",
        family="waiting",
        weight=4,
        departments=("WARD3", "SURG", "ORTH"),
        issues=(("institutional_processes", 1, 2, 0, 0), ("communication", 1, 1, 0, 0)),
        stage="discharge",
        ar=(
            W(
                "child",
                "تأخر إجراءات خروج والدي حتى المساء",
                "أبلغنا الطبيب صباحاً بخروج والدي، ولم نخرج إلا بعد السادسة مساءً بسبب انتظار التقرير الطبي "
                "والأدوية وموافقة التأمين. كلما سألنا قالوا باقي شوي.",
            ),
            W(
                "self",
                "الخروج بدون تقرير ولا تعليمات مكتوبة",
                "خرجت من {clinic} بدون تقرير طبي ولا تعليمات مكتوبة عن العناية بالجرح والأدوية، وطلبوا مني أن "
                "أرجع لاحقاً لاستلام التقرير.",
            ),
        ),
        en=(
            W(
                "child",
                "Discharge took the whole day",
                "We were told in the morning that my mother could go home, but we did not leave until after 6 pm. "
                "We kept waiting for the discharge summary, the medicines and the insurance approval.",
            ),
        ),
    ),
    Topic(
        code="staff_attitude",
        family="attitude",
        weight=8,
        departments=("OPD",),
        issues=(("staff_attitude", 1, 2, 0, 0), ("listening", 1, 1, 0, 0), ("communication", 1, 1, 0, 0)),
        ar=(
            W(
                "self",
                "أسلوب غير لائق من موظف الاستقبال",
                "موظف الاستقبال في {clinic} رفع صوته علي أمام المراجعين لما سألته عن سبب التأخير، وقال لي إذا لم "
                "يعجبك راجع مستشفى ثانياً. هذا الأسلوب غير مقبول مع المرضى.",
                department="OPD",
            ),
            W(
                "child",
                "منع المرافق من الدخول مع والدته",
                "حارس الأمن عند مدخل {clinic} منعني من مرافقة والدتي وهي كبيرة في السن ولا تسمع جيداً، وتكلم معي "
                "بأسلوب جاف جداً أمام الناس. بعد نقاش طويل سمح لي بالدخول.",
                department="ED",
            ),
            W(
                "self",
                "تعامل الممرضة بعصبية بعد العملية",
                "كنت أسأل الممرضة {nurse} عن موعد المسكن فردّت بعصبية وقالت لا تضغط الجرس كل شوي. أنا بعد عملية "
                "وأتألم، وأحتاج تعاملاً أفضل من هذا.",
                department="WARD3",
                nurse=True,
            ),
            W(
                "self",
                "رفض شرح طريقة استخدام الدواء",
                "سألت موظفة الصيدلية عن طريقة استخدام البخاخ، فقالت مكتوب على العلبة وأغلقت الشباك. أول مرة "
                "أستخدمه ولا أعرف الطريقة.",
                department="PHAR",
            ),
        ),
        en=(
            W(
                "self",
                "Rude treatment at the front desk",
                "The receptionist at the {clinic} was dismissive and rude when I asked how much longer the wait "
                "would be. She told me to sit down and stop asking.",
                department="OPD",
            ),
        ),
    ),
    Topic(
        code="doctor_communication",
        family="communication",
        weight=6,
        departments=("CARD", "ENDO", "ORTH", "PED"),
        issues=(("communication", 1, 2, 0, 1), ("listening", 1, 1, 0, 0), ("respect", 1, 1, 0, 0)),
        stage="outpatient",
        physician=True,
        ar=(
            W(
                "self",
                "الطبيب لم يشرح نتائج التحاليل",
                "راجعت {doctor} لمعرفة نتائج التحاليل، ولم يستغرق الموعد خمس دقائق. غيّر جرعة الدواء بدون أن "
                "يشرح السبب، وكان ينظر في الشاشة طوال الوقت، وخرجت وأنا لا أفهم وضعي.",
            ),
            W(
                "parent",
                "لم يُشرح لنا تشخيص الطفلة",
                "{doctor} كتب علاجاً لابنتي ولم يوضح التشخيص ولا مدة العلاج، ولما سألناه قال الممرضة تشرح لكم، "
                "والممرضة قالت اسألوا الطبيب.",
            ),
            W(
                "self",
                "لم أحصل على إجابات عن العملية المقترحة",
                "عندي أسئلة عن العملية المقترحة ومخاطرها، و{doctor} قال ليس عندي وقت، اقرأ عنها في الإنترنت. أحتاج "
                "أن أفهم قبل أن أقرر.",
            ),
        ),
        en=(
            W(
                "self",
                "Results not explained",
                "{doctor} changed my medication dose without explaining why. The visit lasted five minutes, the "
                "doctor looked at the screen the whole time, and I left without understanding my results.",
            ),
            W(
                "parent",
                "No explanation of my daughter's diagnosis",
                "{doctor} prescribed treatment for my daughter but did not tell us the diagnosis or how long the "
                "treatment would last.",
            ),
        ),
    ),
    Topic(
        code="family_communication",
        family="communication",
        weight=4,
        departments=("WARD3", "SURG"),
        issues=(("communication", 1, 2, 0, 0), ("listening", 1, 1, 0, 0)),
        stage="care",
        ar=(
            W(
                "child",
                "عدم إبلاغ الأهل بنقل المريض",
                "نُقل والدي من غرفته إلى قسم آخر ليلاً ولم يبلغنا أحد، وجئنا وقت الزيارة ولم نجده. بقينا نسأل نصف "
                "ساعة حتى عرفنا مكانه، وكان من السهل الاتصال بنا.",
            ),
            W(
                "spouse",
                "لا أحد يعطينا معلومات عن حالة زوجي",
                "زوجي منوّم منذ خمسة أيام، وكل يوم نسأل عن الخطة والنتائج ولا نحصل على إجابة واضحة، والطبيب يمر "
                "الصباح الباكر ونحن غير موجودين.",
            ),
            W(
                "child",
                "تأخر التقرير الطبي المطلوب لجهة العمل",
                "طلبنا تقريراً طبياً عن حالة والدتي قبل أسبوعين لأقدمه لجهة عملي لطلب إجازة مرافق، وكل مرة يقولون "
                "جاهز غداً.",
            ),
        ),
        en=(
            W(
                "child",
                "Family not told about a transfer",
                "My mother was moved to another ward overnight and nobody told the family. When we came at visiting "
                "time her bed was empty and it took half an hour to find her.",
            ),
        ),
    ),
    Topic(
        code="environment",
        family="environment",
        weight=7,
        departments=("OPD",),
        issues=(("environment", 1, 1, 0, 0), ("institutional_processes", 1, 1, 0, 0)),
        ar=(
            W(
                "self",
                "دورات المياه غير نظيفة",
                "دورات المياه في {clinic} غير نظيفة، وبعضها بدون صابون ولا مناديل طوال اليوم. أبلغت عامل النظافة "
                "ولم يتغير شيء.",
                department="OPD",
            ),
            W(
                "child",
                "التكييف لا يعمل في غرفة والدتي",
                "التكييف في غرفة والدتي في {clinic} لا يعمل منذ يومين والجو حار جداً، وأبلغنا التمريض أكثر من مرة "
                "وقالوا رفعنا طلب صيانة.",
                department="WARD3",
            ),
            W(
                "self",
                "صعوبة إيجاد موقف للسيارات",
                "المواقف ممتلئة دائماً، وبقيت أكثر من نصف ساعة أدور حتى وجدت موقفاً وتأخرت عن موعدي بسببها. مواقف "
                "ذوي الإعاقة يستخدمها غيرهم ولا أحد ينظم.",
                department="OPD",
            ),
            W(
                "child",
                "وجبات المريض تصل باردة ومتأخرة",
                "وجبات والدي تصل باردة ومتأخرة، وهو مريض سكر ويحتاج أكله في وقت محدد مع الإنسولين. تكلمنا مع "
                "الممرضة ومع قسم التغذية بدون فائدة.",
                department="WARD3",
            ),
            W(
                "self",
                "ازدحام صالة الانتظار ونقص الكراسي",
                "صالة الانتظار في {clinic} مزدحمة جداً، وكثير من المراجعين واقفون، منهم كبار سن وحوامل.",
                department="ED",
            ),
        ),
        en=(
            W(
                "self",
                "Air conditioning broken in my room",
                "The air conditioning in my room on {clinic} has not worked for two days. I reported it to the "
                "nurses twice and was told maintenance had been informed.",
                department="WARD3",
            ),
            W(
                "self",
                "Dirty toilets in the clinic area",
                "The toilets in the {clinic} area were dirty, with no soap or paper towels for most of the day.",
                department="OPD",
            ),
        ),
    ),
    Topic(
        code="billing",
        family="billing",
        weight=4,
        departments=("OPD",),
        issues=(("institutional_processes", 1, 2, 0, 0), ("communication", 1, 1, 0, 0)),
        stage="billing",
        ar=(
            W(
                "self",
                "تأخر موافقة التأمين على الأشعة",
                "طلب لي الطبيب أشعة مقطعية، وبعد أسبوع قالوا إن شركة التأمين رفضت لأن الطلب لم يُرسل بشكل صحيح. "
                "أحتاج الأشعة ولا أحد يتابع الموضوع مع التأمين.",
            ),
            W(
                "self",
                "مطالبة بمبلغ رغم تغطية التأمين",
                "طُلب مني دفع ٣٥٠ ريالاً للتحاليل مع أن وثيقة التأمين تغطيها، ولما اعترضت قالوا راجع شركة التأمين بنفسك.",
            ),
            W(
                "child",
                "فاتورة تنويم فيها خدمات لم تُقدَّم",
                "فاتورة تنويم والدي فيها أدوية وجلسات علاج طبيعي لم يأخذها، ونطلب مراجعتها قبل الدفع.",
            ),
        ),
        en=(
            W(
                "self",
                "Charged for tests my insurance covers",
                "I was asked to pay 350 SAR for blood tests that my insurance policy covers. When I questioned it I "
                "was told to sort it out with the insurance company myself.",
            ),
        ),
    ),
    Topic(
        code="medication",
        family="clinical",
        weight=2,
        departments=("PHAR",),
        issues=(("medication", 2, 3, 0, 2), ("communication", 1, 1, 0, 0)),
        medical=True,
        ar=(
            W(
                "child",
                "صرف جرعة مختلفة عن الوصفة",
                "صُرف لوالدي دواء الضغط بتركيز عشرة ملغ بدل خمسة ملغ المكتوبة في الوصفة، وانتبهنا في البيت عند "
                "مقارنة العلبة بالوصفة. الحمد لله لم يأخذ منه إلا حبة واحدة، لكن الخطأ كان يمكن أن يضره.",
                department="PHAR",
                severity=3,
                harm=1,
            ),
            W(
                "child",
                "تأخر جرعات الإنسولين في الجناح",
                "والدتي تأخذ الإنسولين قبل الأكل، وأكثر من مرة وصلت الجرعة بعد الوجبة بساعة تقريباً وارتفع السكر "
                "عندها. نبهنا الممرضة {nurse} والمناوبات ولم يتغير شيء.",
                department="WARD3",
                severity=2,
                harm=1,
                nurse=True,
            ),
        ),
        en=(
            W(
                "child",
                "Wrong strength dispensed",
                "My father was given 10 mg blood pressure tablets instead of the 5 mg on his prescription. We "
                "noticed at home when we compared the box with the prescription.",
                department="PHAR",
                severity=3,
                harm=1,
            ),
        ),
    ),
    Topic(
        code="quality",
        family="clinical",
        weight=2,
        departments=("ED",),
        issues=(("quality", 2, 3, 1, 3), ("listening", 1, 2, 0, 0), ("communication", 1, 1, 0, 0)),
        medical=True,
        physician=True,
        ar=(
            W(
                "self",
                "الخروج من الطوارئ بدون تشخيص واضح",
                "راجعت الطوارئ بألم شديد في البطن، وتم إخراجي بمسكن فقط بدون تحاليل كافية. بعد يومين رجعت والألم "
                "أشد، وتبين أنها زائدة ملتهبة واحتجت عملية عاجلة.",
                department="ED",
                severity=3,
                harm=3,
            ),
            W(
                "self",
                "التهاب الجرح بعد العملية",
                "بعد عمليتي لاحظت احمراراً وإفرازات في الجرح، وعند المراجعة في {clinic} قالوا طبيعي. بعد أسبوع "
                "احتجت مضاداً حيوياً وتنظيفاً للجرح.",
                department="SURG",
                severity=2,
                harm=2,
            ),
            W(
                "child",
                "ألم والدتي بعد عملية الركبة لم يُعالج",
                "بعد عملية الركبة بقيت والدتي تتألم طوال الليل، وطلبنا المسكن أكثر من مرة ولم يأتِ إلا الصباح. "
                "قالوا الطبيب المناوب مشغول.",
                department="ORTH",
                severity=2,
                harm=1,
            ),
        ),
        en=(
            W(
                "self",
                "Sent home from the ER, came back with appendicitis",
                "I went to the emergency department with severe abdominal pain and was sent home with painkillers. "
                "Two days later I came back in worse pain, was diagnosed with appendicitis and needed urgent surgery.",
                department="ED",
                severity=3,
                harm=3,
            ),
        ),
    ),
    Topic(
        code="ward_safety",
        family="clinical",
        weight=2,
        departments=("WARD3",),
        issues=(("safety", 2, 3, 1, 3), ("listening", 1, 2, 0, 0)),
        stage="care",
        medical=True,
        ar=(
            W(
                "child",
                "سقوط والدي في الحمام أثناء التنويم",
                "والدي سقط في الحمام ليلاً أثناء تنويمه في {clinic}، وكنا قد طلبنا أن يساعده أحد عند القيام لأنه "
                "يدوخ. أصيب بجرح في رأسه احتاج غرزاً، ولم يبلغنا أحد إلا في الصباح.",
                severity=3,
                harm=3,
            ),
            W(
                "self",
                "جرس الاستدعاء لا يُجاب",
                "ضغطت جرس الاستدعاء أكثر من عشرين دقيقة والمحلول انتهى والدم رجع في الأنبوب، ولم يحضر أحد حتى ذهب "
                "مرافقي بنفسه إلى محطة التمريض. الممرضة {nurse} اعتذرت وقالت إنها وحدها على ثماني غرف.",
                severity=2,
                harm=1,
                nurse=True,
            ),
        ),
        en=(
            W(
                "self",
                "Call bell not answered",
                "I pressed the call bell for over twenty minutes when my drip ran out and blood backed up into the "
                "line. Nobody came until my husband went to the nurses' station.",
                severity=2,
                harm=1,
            ),
        ),
    ),
    Topic(
        code="concerns_dismissed",
        family="clinical",
        weight=1,
        departments=("PED",),
        issues=(("listening", 2, 3, 1, 3), ("quality", 2, 3, 1, 3)),
        stage="care",
        medical=True,
        physician=True,
        ar=(
            W(
                "parent",
                "عدم الأخذ بملاحظات الأم عن حالة طفلتها",
                "أخبرت الطبيب المناوب أكثر من مرة أن ابنتي لا ترضع وأنها خاملة على غير عادتها، وكان الرد أنها "
                "طبيعية. في اليوم التالي نُقلت إلى العناية المركزة. أريد أن أعرف لماذا لم يؤخذ كلامي بجدية.",
                severity=3,
                harm=3,
            ),
        ),
        en=(
            W(
                "parent",
                "My concerns about my baby were dismissed",
                "I told the doctor on call several times that my daughter was not feeding and was unusually drowsy. "
                "I was told she was fine. The next day she was moved to intensive care.",
                severity=3,
                harm=3,
            ),
        ),
    ),
    Topic(
        code="consent",
        family="clinical",
        weight=1,
        departments=("SURG", "ORTH"),
        issues=(("consent", 2, 2, 0, 1), ("communication", 1, 2, 0, 0)),
        stage="operation",
        medical=True,
        ar=(
            W(
                "self",
                "توقيع الموافقة دون شرح",
                "قبل المنظار طُلب مني توقيع ورقة الموافقة وأنا على السرير، ولم يشرح لي أحد المخاطر ولا البدائل، "
                "والنموذج كان بالإنجليزية فقط.",
            ),
        ),
        en=(
            W(
                "self",
                "Consent form not explained",
                "I was asked to sign the consent form on the trolley just before the procedure. Nobody explained "
                "the risks or the alternatives.",
            ),
        ),
    ),
    Topic(
        code="confidentiality",
        family="privacy",
        weight=2,
        departments=("OPD", "ED"),
        issues=(("confidentiality", 2, 2, 0, 1), ("respect", 1, 1, 0, 0)),
        ar=(
            W(
                "self",
                "مناقشة حالتي أمام المراجعين",
                "الممرض سألني عن تشخيصي وأدويتي بصوت عالٍ عند شباك الاستقبال أمام المراجعين الآخرين. هذه معلومات "
                "خاصة ولا أرضى أن يسمعها أحد.",
            ),
            W(
                "self",
                "تسليم تقريري الطبي لقريب دون تفويض",
                "سُلّم تقريري الطبي لأحد أقاربي دون تفويض مني، وعرف تفاصيل حالتي قبل أن أخبره بنفسي.",
            ),
        ),
        en=(
            W(
                "self",
                "My condition discussed in front of others",
                "A nurse asked about my diagnosis and my medication loudly at the reception desk, in front of other "
                "patients.",
            ),
        ),
    ),
)


# What staff write on the timeline (internal notes) and the resolution summary, per topic: (Arabic, English).
NOTES = {
    "clinic_wait": (
        (
            "راجعت جدول العيادة لذلك اليوم: الطبيب بدأ متأخراً ساعة ونصفاً بسبب اجتماع القسم ولم يُبلَّغ الاستقبال.",
            "العيادة كانت محجوزة فوق طاقتها ذلك اليوم (٣٨ مريضاً لطبيب واحد). رفعنا ملاحظة لإدارة العيادات الخارجية "
            "لمراجعة قالب الحجز.",
            "اتصلت بالمشتكي وشرحت له سبب التأخير واعتذرت له، وكان متفهماً.",
            "طلبنا من رئيس القسم إفادة عن سبب تأخر بدء العيادة.",
        ),
        (
            "Clinic template checked: the 9:00 slot was double-booked. Scheduling asked to fix the template.",
            "Spoke to the clinic charge nurse: the session started late because the doctor was covering the ward "
            "round.",
        ),
    ),
    "appointment_postponed": (
        (
            "راجعت سجل الرسائل: رسالة التأجيل أُرسلت دون ذكر السبب ولا الموعد البديل.",
            "تواصلنا مع مكتب المواعيد وحُجز للمريض موعد بديل أقرب.",
            "إجازة الطبيب سُجّلت في نظام المواعيد متأخرة، فلم تُنقل المواعيد في وقتها.",
            "طلبنا من العيادة إضافة المريض إلى قائمة الانتظار للإلغاءات.",
        ),
        ("The leave was entered in the booking system late, so the clinic was not blocked in time.",),
    ),
    "booking_and_referrals": (
        (
            "راجعنا تقرير مركز الاتصال لذلك اليوم: متوسط الانتظار ١٨ دقيقة بسبب نقص الموظفين.",
            "تواصلنا مع مكتب التحويل: الطلب أُرسل ولم يصل رد المستشفى المحوَّل إليه، وتمت المتابعة معه.",
            "نسّقنا مع العيادات المعنية لجمع المواعيد في يوم واحد.",
        ),
        ("Call centre report for that morning: average wait 18 minutes, two agents off sick.",),
    ),
    "emergency_wait": (
        (
            "حسب سجل الفرز صُنّفت الحالة في المستوى الرابع، والانتظار الفعلي ثلاث ساعات وأربعون دقيقة.",
            "نوقش نقص الكادر في المناوبة الليلية مع مدير الطوارئ.",
            "طلبنا تقرير الإشغال: لم يكن في الأجنحة سرير شاغر طوال اليومين.",
        ),
        ("ED census that night: 3 physicians on shift, 61 arrivals. Discussed with the ED director.",),
    ),
    "pharmacy_wait": (
        (
            "تأكدنا من الصيدلية أن شباكاً واحداً كان مغلقاً للصيانة ذلك الصباح.",
            "الدواء ناقص لدى المورّد، وطلبت الصيدلية بديلاً معتمداً.",
            "تقرر فتح شباك إضافي وقت الذروة من الحادية عشرة إلى الواحدة.",
        ),
        ("Pharmacy confirms the shortage; an approved alternative has been ordered.",),
    ),
    "tests_wait": (
        (
            "طلبنا من المختبر تقرير أوقات الانتظار للأسبوع الماضي.",
            "نسّقنا مع قسم الأشعة لتقديم الموعد.",
            "النتائج كانت جاهزة لكنها لم تُعتمد في النظام؛ أُبلغ رئيس المختبر.",
        ),
        ("Radiology agreed to fit the scan into a cancellation slot.",),
    ),
    "discharge_delay": (
        (
            "تتبعنا إجراءات الخروج: أمر الخروج صدر العاشرة، والتقرير اعتُمد الثالثة، والأدوية جهزت الخامسة.",
            "خاطبنا رئيس القسم لاعتماد تقارير الخروج قبل الظهر.",
        ),
        ("Discharge order at 10:00, summary signed at 15:00, medicines ready at 17:00. Shared with the unit manager.",),
    ),
    "staff_attitude": (
        (
            "تمت مقابلة الموظف وأخذ إفادته، وأقرّ بأنه انفعل. أُحيل لمشرفه المباشر لاتخاذ اللازم.",
            "أخذنا إفادات الحاضرين وتحدثنا مع مشرف القسم.",
            "تحدثت مع مشرف القسم، وستُعقد جلسة توعوية عن التواصل مع المرضى.",
        ),
        ("Staff member interviewed; written statement on file. Referred to the line manager.",),
    ),
    "doctor_communication": (
        (
            "طُلبت إفادة الطبيب المعالج عن الزيارة.",
            "تواصلنا مع الطبيب المعالج، وسيتصل بالمريض لشرح النتائج وخطة العلاج.",
            "عرضنا الشكوى على رئيس القسم.",
        ),
        ("Physician's statement received: the clinic was overbooked that day; a follow-up call has been offered.",),
    ),
    "family_communication": (
        (
            "نُبّه طاقم الجناح على إبلاغ الأسرة عند نقل المريض وتوثيق ذلك في الملف.",
            "رتبنا للأسرة لقاءً مع الطبيب المعالج في وقت الزيارة.",
            "تابعنا مع مكتب التقارير، والتقرير قيد الاعتماد.",
        ),
        ("Discussed with the unit manager; telling the family about a transfer is now on the handover checklist.",),
    ),
    "environment": (
        (
            "رُفع الأمر للخدمات المساندة وطُلبت المعالجة خلال يومين.",
            "جولة ميدانية مع مشرف الخدمات المساندة، وتأكدنا من الملاحظة.",
            "تواصلنا مع المشتكي وأبلغناه بما اتُّخذ.",
        ),
        ("Facilities informed; site visit done with the supervisor.",),
    ),
    "billing": (
        (
            "راجعنا الفاتورة مع الحسابات.",
            "تواصلنا مع قسم التأمين وأُعيد إرسال طلب الموافقة.",
            "طلبنا من الحسابات مقارنة الفاتورة بالملف الطبي.",
        ),
        ("Insurance desk resubmitted the pre-authorisation with the missing diagnosis code.",),
    ),
    "medication": (
        (
            "سُجّل بلاغ حادثة دوائية في نظام سلامة المرضى.",
            "طلبنا من رئيس الصيدلية مراجعة خطوات التحقق عند الصرف.",
            "طلبنا من رئيسة التمريض مراجعة مواعيد إعطاء الأدوية في الجناح.",
        ),
        ("Incident report filed; the pharmacist was counselled and the double check at dispensing reinforced.",),
    ),
    "quality": (
        (
            "أُحيلت الحالة للجنة المراجعة الطبية لدراسة الملف.",
            "طُلب من رئيس القسم مراجعة الملف الطبي وكتابة تقرير.",
            "تواصلنا مع المريض للاطمئنان على حالته.",
        ),
        ("The medical director has asked for the notes and the imaging for peer review.",),
    ),
    "ward_safety": (
        (
            "سُجّل بلاغ حادثة في نظام سلامة المرضى.",
            "راجعت رئيسة التمريض تقييم خطر السقوط وعدد الممرضات في المناوبة.",
            "تواصلنا مع الأسرة للاطمئنان على حالة المريض.",
        ),
        ("Nursing director reviewed the fall-risk assessment: it was not repeated after sedation.",),
    ),
    "concerns_dismissed": (
        (
            "أُحيلت الحالة للجنة المراجعة الطبية.",
            "طُلبت إفادة الطبيب المناوب وممرضة الحالة.",
            "رتبنا للأم لقاءً مع رئيس قسم الأطفال.",
        ),
        ("Case referred for peer review; the on-call doctor's statement requested.",),
    ),
    "consent": (
        (
            "راجعنا نموذج الموافقة في الملف: موقّع دون توثيق الشرح.",
            "طلبنا من إدارة الجودة توفير نموذج الموافقة بالعربية.",
        ),
        ("Consent form reviewed: signed, but no record of the discussion.",),
    ),
    "confidentiality": (
        (
            "تمت مقابلة الموظف وتذكيره بسياسة سرية المعلومات، ووقّع التعهد من جديد.",
            "راجعنا إجراءات تسليم التقارير: لا تُسلَّم إلا لصاحبها أو بتفويض موثق.",
            "أُبلغ مسؤول الخصوصية.",
        ),
        ("Privacy officer informed; staff reminded of the confidentiality policy.",),
    ),
}
# When the notes of a topic run out.
FOLLOW_UP_NOTES = ("تمت المتابعة مع القسم.", "Followed up with the department.")

RESOLUTIONS = {
    "clinic_wait": (
        (
            "اعتُذر للمشتكي، ونُبّهت العيادة على إبلاغ المرضى برسالة عند تأخر بدء العيادة.",
            "عُدّل قالب الحجز في العيادة لتقليل الحجز الزائد، وقُدّم الاعتذار للمشتكي.",
        ),
        (
            "An apology was given; the clinic now texts patients when a session starts late.",
            "The clinic's booking template was corrected to stop double-booking; an apology was given.",
        ),
    ),
    "appointment_postponed": (
        (
            "حُجز للمريض موعد بديل خلال أسبوع، وتقرر ذكر سبب التأجيل والموعد البديل في رسالة التأجيل نفسها.",
            "أُضيف المريض لقائمة الإلغاءات وحصل على موعد بعد عشرة أيام، وقُدّم الاعتذار.",
        ),
        ("A new appointment was booked within a week; postponement texts now give the reason and the new date.",),
    ),
    "booking_and_referrals": (
        (
            "أُضيف موظفان لمركز الاتصال في الفترة الصباحية، وعُدّل موعد المشتكي.",
            "وصل رد المستشفى المحوَّل إليه وأُبلغ المريض بموعده هناك.",
            "جُمعت مواعيد المريض في يوم واحد بالتنسيق بين العيادات.",
        ),
        ("Two more agents now cover the morning peak; the complainant's appointment was changed.",),
    ),
    "emergency_wait": (
        (
            "راجعنا الحالة مع مدير الطوارئ: التصنيف كان صحيحاً لكن التواصل مع المنتظرين كان ناقصاً، وكُلّف ممرض "
            "بتحديثهم كل ساعة.",
            "أُضيف طبيب للمناوبة الليلية في نهاية الأسبوع، وقُدّم الاعتذار للمشتكي.",
        ),
        (
            "Reviewed with the ED director: triage was appropriate but waiting patients were not kept informed. A "
            "nurse now updates the waiting area every hour.",
        ),
    ),
    "pharmacy_wait": (
        (
            "يُفتح شباك إضافي وقت الذروة، وقُدّم الاعتذار للمشتكي.",
            "وفّرت الصيدلية بديلاً معتمداً وأُبلغ المريض باستلامه.",
        ),
        ("An extra window now opens at peak hours; an apology was given.",),
    ),
    "tests_wait": (
        (
            "قُدّم الموعد بعد التنسيق مع القسم، وأُبلغ المريض.",
            "خُصص شباك لسحب عينات الصائمين وكبار السن من السابعة والنصف.",
        ),
        ("The scan was brought forward to a cancellation slot; the patient was told.",),
    ),
    "discharge_delay": (
        (
            "تقرر اعتماد تقارير الخروج قبل الثانية عشرة ظهراً، وقُدّم الاعتذار للأسرة.",
            "سُلّم التقرير للمريض، ونُبّه القسم على تسليم التعليمات المكتوبة عند الخروج.",
        ),
        ("Discharge summaries are now signed before noon; the family received an apology.",),
    ),
    "staff_attitude": (
        (
            "حُقّق مع الموظف واتُّخذ الإجراء الإداري المناسب، وقُدّم الاعتذار للمشتكي.",
            "وُجّه تنبيه كتابي للموظف وأُلحق بدورة في مهارات التعامل مع المراجعين.",
        ),
        ("The staff member was interviewed and received a written warning; the complainant received an apology.",),
    ),
    "doctor_communication": (
        (
            "تواصل الطبيب المعالج مع المريض وشرح له النتائج وخطة العلاج، وأبدى المشتكي رضاه.",
            "حُجز للمريض موعد مع الطبيب لمناقشة الخيارات بالتفصيل.",
        ),
        (
            "The treating physician called the patient and went through the results and the plan; the complainant "
            "was satisfied.",
        ),
    ),
    "family_communication": (
        (
            "أُضيف إبلاغ الأسرة عند نقل المريض إلى قائمة التسليم بين المناوبات، وقُدّم الاعتذار للأسرة.",
            "التقت الأسرة بالطبيب المعالج وشُرحت لها الخطة، وسُلّم التقرير.",
        ),
        ("Telling the family about a transfer is now part of the shift handover; an apology was given.",),
    ),
    "environment": (
        (
            "عولجت الملاحظة في الموقع، وزيدت جولات المتابعة في القسم.",
            "أُصلح العطل، وقُدّم الاعتذار للمشتكي.",
        ),
        ("The problem was fixed on site and the follow-up rounds were increased.",),
    ),
    "billing": (
        (
            "أُلغيت الخدمات المضافة بالخطأ من الفاتورة وأُبلغ المشتكي.",
            "أُعيد إرسال طلب الموافقة ووافقت شركة التأمين، وحُجز الموعد.",
            "شُرحت للمشتكي حدود تغطية الوثيقة، وأُعيد له ما دفعه زيادة.",
        ),
        ("The charge was refunded: the tests are covered by the policy. The cashiers were briefed.",),
    ),
    "medication": (
        (
            "سُجّل الحدث في نظام سلامة المرضى، وعُزّز التحقق المزدوج عند الصرف، وقُدّم الاعتذار للأسرة.",
            "عُدّلت مواعيد جرعات الإنسولين لتسبق الوجبات، ويُدقَّق عليها في كل مناوبة.",
        ),
        (
            "Recorded as a medication incident; the double check at dispensing was reinforced and the family "
            "received an apology.",
        ),
    ),
    "quality": (
        (
            "راجعت لجنة المراجعة الطبية الحالة واعتُمدت خطة تحسين، وقابلنا المشتكي وشرحنا له نتيجة المراجعة.",
            "نوقشت الحالة في اجتماع القسم، ويتابع المريض في العيادة.",
        ),
        (
            "Reviewed by the medical review committee; an improvement plan was agreed. The complainant was met and "
            "the findings explained.",
        ),
    ),
    "ward_safety": (
        (
            "أُعيد تقييم خطر السقوط لجميع مرضى الجناح، وأُبلغت الأسرة بنتيجة المراجعة.",
            "أُضيفت ممرضة للمناوبة الليلية، ويُتابَع زمن الاستجابة للجرس أسبوعياً.",
        ),
        ("Call-bell response times are now audited weekly; an extra nurse covers the night shift.",),
    ),
    "concerns_dismissed": (
        ("راجعت لجنة المراجعة الطبية الحالة، والتقت الأم برئيس القسم الذي شرح لها النتيجة وما تغيّر.",),
        ("The case was reviewed; the mother met the head of paediatrics, who explained the findings and the changes.",),
    ),
    "consent": (
        ("تُرجم نموذج الموافقة إلى العربية، ويُوثَّق شرح المخاطر قبل التوقيع.",),
        ("The consent form is now available in Arabic and the discussion is documented before signing.",),
    ),
    "confidentiality": (
        (
            "حُقّق في الواقعة ووُجّه الموظف كتابياً، وعُدّلت إجراءات تسليم التقارير.",
            "أُعيد تدريب موظفي الاستقبال على الخصوصية، وأُضيف حاجز عند الشباك.",
        ),
        ("The staff member was reminded of the confidentiality policy in writing, and the desk layout was changed.",),
    ),
}

# Messages to complainants: while it is being looked into, after a new appointment.
PROGRESS_MESSAGES = (
    (
        "نعتذر عما حدث، وقد أُحيلت شكواكم إلى القسم المختص وسنوافيكم بالنتيجة.",
        "نشكر صبركم، وما زلنا نتابع شكواكم مع القسم المعني.",
        "تواصلنا مع القسم المعني، وسيتصل بكم أحد المسؤولين خلال يوم عمل.",
    ),
    (
        "We apologise for your experience. Your complaint is with the department concerned and we will let you "
        "know the outcome.",
        "Thank you for your patience; we are still following up your complaint with the department.",
    ),
)
APPOINTMENT_MESSAGES = (
    ("حُجز لكم موعد جديد في {clinic} الأسبوع القادم، وستصلكم رسالة بالتفاصيل. نعتذر عن الإزعاج.",),
    ("A new appointment has been booked for you at the {clinic} next week; a text with the details will follow.",),
)
# Asking the complainant for what is missing, per family of topics (others: the default).
REQUEST_MESSAGES = {
    "access": (
        ("نرجو تزويدنا بتاريخ الموعد ورقم الملف الطبي حتى نتمكن من متابعة الشكوى.",),
        ("Could you please send us the date of your appointment and your medical record number?",),
    ),
    "billing": (
        ("نرجو إرسال صورة من الفاتورة أو إحضارها إلى مكتب تجربة المريض.",),
        ("Could you please send us a copy of the invoice, or bring it to the Patient Experience office?",),
    ),
    "": (
        (
            "نرجو الاتصال بمكتب تجربة المريض في أوقات الدوام لاستكمال بيانات الشكوى.",
            "نرجو تزويدنا بتاريخ الزيارة ووقتها تقريباً حتى نتمكن من المتابعة.",
        ),
        (
            "Could you please call the Patient Experience office during working hours so we can complete the details?",
            "Could you please tell us the date and the approximate time of your visit?",
        ),
    ),
}

WAITING_NOTES = (("بانتظار رد المشتكي بالمعلومات المطلوبة.",), ("Waiting for the complainant to send the details.",))
RESUME_NOTES = (
    ("أرسل المشتكي المعلومات المطلوبة.", "اتصل المشتكي وأكمل البيانات."),
    ("The complainant replied with the details.",),
)
REOPEN_NOTES = (
    ("عاود المشتكي الاتصال: لم يُنفَّذ ما وُعد به.", "المشتكي غير راضٍ عن الرد ويطلب مقابلة مدير القسم."),
    ("The complainant called back: what was promised has not happened.",),
)
ESCALATION_NOTES = (
    "تجاوزت الشكوى المدة المحددة؛ تواصلنا مع مدير القسم لتسريع الرد.",
    "بانتظار إفادة القسم منذ ثلاثة أيام، أُرسل تذكير ثانٍ.",
    "Reminder sent to the head of department; the reply is overdue.",
)
SEVERITY_NOTES = (
    "بعد مراجعة الملف تبيّن أن الحدث أخطر مما سُجّل عند الاستلام؛ رُفعت درجة الخطورة.",
    "Reclassified after the file review: the event could have caused serious harm.",
)

# Inquiries: (subject, question, answer, department).
INQUIRIES_AR = (
    (
        "أوقات الزيارة في الجناح",
        "ما أوقات الزيارة في الجناح الثالث؟ وهل يُسمح بمرافق لوالدتي لأنها كبيرة في السن؟",
        "أوقات الزيارة يومياً من الرابعة عصراً حتى التاسعة مساءً، ويُسمح بمرافق واحد لكبار السن بعد موافقة الطبيب المعالج.",
        "WARD3",
    ),
    (
        "طلب تقرير طبي",
        "كيف أطلب تقريراً طبياً عن تنويمي الأخير لأقدمه لجهة العمل؟ وكم يستغرق؟",
        "يُطلب التقرير من مكتب التقارير الطبية في الدور الأرضي أو من التطبيق، ويكون جاهزاً خلال خمسة أيام عمل.",
        "",
    ),
    (
        "الإجازة المرضية بعد زيارة الطوارئ",
        "راجعت الطوارئ أمس وأعطاني الطبيب إجازة يومين، كيف أطبعها؟",
        "تصدر الإجازات المرضية إلكترونياً عبر منصة صحتي بعد اعتمادها من الطبيب، ويمكنكم طباعتها من التطبيق مباشرة.",
        "ED",
    ),
    (
        "نسخة من صور الأشعة",
        "أحتاج نسخة من صور الرنين المغناطيسي على قرص لعرضها على طبيب آخر.",
        "يمكنكم طلب النسخة من استقبال الأشعة بعد تعبئة نموذج الطلب وإحضار الهوية، وتُسلَّم خلال يومي عمل.",
        "",
    ),
    (
        "تغيير موعد العيادة",
        "عندي موعد في عيادة العظام الأسبوع القادم وأريد تغييره لأني مسافر، كيف؟",
        "يمكن تعديل الموعد من التطبيق أو بالاتصال بمركز المواعيد، وقد عدّلنا موعدكم إلى الأسبوع الذي يليه.",
        "ORTH",
    ),
    (
        "تغطية التأمين للعلاج الطبيعي",
        "هل تغطي شركة التأمين جلسات العلاج الطبيعي بعد عملية الركبة؟",
        "تعتمد التغطية على فئة الوثيقة. رفعنا طلب موافقة لشركة التأمين وسنبلغكم بالرد، ويصل عادة خلال ثلاثة أيام.",
        "OPD",
    ),
    (
        "أوقات عمل الصيدلية",
        "هل الصيدلية الخارجية تعمل يوم السبت؟",
        "الصيدلية الخارجية تعمل من الأحد إلى الخميس من الثامنة صباحاً حتى التاسعة مساءً، وصيدلية الطوارئ على مدار "
        "الساعة.",
        "PHAR",
    ),
    (
        "الاطلاع على نتائج التحاليل",
        "كيف أطلع على نتائج تحاليل الدم بدون مراجعة العيادة؟",
        "تظهر النتائج في تطبيق المستشفى بعد اعتمادها من الطبيب، وإذا احتاجت تعديلاً في العلاج سيتواصل معكم الطبيب.",
        "OPD",
    ),
    (
        "إحضار أكل من البيت للمريض",
        "هل يُسمح بإحضار أكل من البيت لوالدي المنوّم؟",
        "يُسمح بعد موافقة أخصائي التغذية حسب الحمية الموصوفة، ونرجو إبلاغ ممرضة الجناح قبل إحضاره.",
        "WARD3",
    ),
    (
        "إعادة صرف الأدوية الشهرية",
        "هل يمكن صرف أدويتي الشهرية بدون موعد في العيادة؟",
        "يمكن إعادة صرف الوصفة المعتمدة عبر خدمة إعادة الصرف في التطبيق، وتُجهَّز خلال يومي عمل.",
        "PHAR",
    ),
    (
        "كرسي متحرك عند المدخل",
        "والدي لا يستطيع المشي مسافات طويلة، هل يوجد كرسي متحرك عند مدخل العيادات؟",
        "نعم، تتوفر كراسٍ متحركة عند المدخل الرئيسي ومدخل العيادات، ويمكن طلب مرافق من موظفي الاستقبال.",
        "OPD",
    ),
    (
        "مواعيد تطعيمات الأطفال",
        "ابني عمره ستة أشهر، هل أحتاج موعداً لتطعيمه؟",
        "تطعيمات الأطفال بدون موعد من الأحد إلى الخميس من الثامنة حتى الثانية ظهراً في عيادة الأطفال، مع إحضار "
        "كرت التطعيم.",
        "PED",
    ),
)
INQUIRIES_EN = (
    (
        "Visiting hours",
        "What are the visiting hours on Ward 3, and can I stay overnight with my mother?",
        "Visiting hours are 4 pm to 9 pm every day. One companion may stay overnight with an elderly patient once "
        "the treating doctor agrees.",
        "WARD3",
    ),
    (
        "Medical report for my employer",
        "How can I get a medical report about my recent admission for my employer?",
        "Reports are requested at the Medical Reports office on the ground floor or in the app, and are ready "
        "within five working days.",
        "",
    ),
    (
        "Physiotherapy coverage",
        "Does my insurance cover physiotherapy after knee surgery?",
        "It depends on your policy class. We have sent a pre-authorisation request to your insurer and will let "
        "you know their answer, usually within three days.",
        "OPD",
    ),
    (
        "Sick leave after an ER visit",
        "I was given two days of sick leave in the ER yesterday. How do I print it?",
        "Sick leave is issued electronically through the Sehhaty platform once the doctor approves it; you can "
        "print it from the app.",
        "ED",
    ),
)
# The inquiry that turns out to be a complaint.
PROMOTED_INQUIRY = (
    "سبب إلغاء عملية والدي",
    "أُلغيت عملية والدي في نفس اليوم بعد أن صام من الليل، ولم يخبرنا أحد بالسبب. نريد أن نعرف ما حدث ومتى الموعد "
    "الجديد.",
    "إلغاء العملية في يومها دون توضيح للأسرة",
)

# Compliments: ({doctor} / {nurse} / {staff} / the department), Arabic then English.
COMPLIMENTS_DOCTOR = (
    (
        "أشكر {doctor} على اهتمامه وشرحه الوافي لحالة والدي، وكان صبوراً معنا في كل أسئلتنا. جزاه الله خيراً.",
        "كل الشكر والتقدير لـ{doctor} على تعامله الراقي ومتابعته لحالتي بعد العملية.",
        "{doctor} من أفضل الأطباء الذين راجعتهم، يستمع للمريض ويشرح بهدوء.",
        "أشكر {doctor} وفريق القسم على سرعة التعامل مع حالة ابني ليلة الخميس، كان لهم بعد الله الفضل.",
    ),
    (
        "I would like to thank {doctor} for taking the time to explain everything clearly and answer all my questions.",
        "{doctor} was outstanding: attentive, patient and kind to my mother throughout.",
    ),
)
COMPLIMENTS_NURSE = (
    (
        "شكراً للممرضة {nurse} في الجناح الثالث على لطفها واهتمامها بوالدتي طوال فترة التنويم.",
        "أخص بالشكر الممرضة {nurse} على متابعتها الدقيقة للأدوية وتطمينها لنا في الليل.",
    ),
    ("The nurses on Ward 3 were kind and attentive throughout my stay; one of them checked on me every hour.",),
)
COMPLIMENTS_STAFF = (
    (
        "الأخ {staff} في الاستقبال ساعدني في تعديل موعدي بسرعة وبأسلوب راقٍ، شكراً له.",
        "شكراً لـ{staff} على مساعدته لوالدي في إنهاء إجراءات الموعد والتأمين.",
    ),
    ("The front desk supervisor sorted out my appointment in minutes. Excellent service.",),
)
COMPLIMENTS_TEAM = (
    (
        ("شكراً لطاقم الصيدلية على سرعة الصرف هذه المرة، لاحظت تحسناً كبيراً.", "PHAR"),
        ("أشكر فريق التمريض في الجناح الثالث على الرعاية الممتازة.", "WARD3"),
        ("شكراً لكل العاملين في عيادة الأطفال، المكان مرتب والتعامل راقٍ.", "PED"),
        ("فريق الطوارئ تعامل مع حالة والدي بسرعة واحترافية، جزاهم الله خيراً.", "ED"),
    ),
    (("Thank you to the emergency team for the quick and caring treatment of my son.", "ED"),),
)
SUGGESTIONS = (
    (
        ("أقترح توفير شاشات تعرض رقم الدور في الصيدلية الخارجية.", "PHAR"),
        ("أتمنى إرسال رسالة تذكير قبل الموعد بيوم مع إمكانية الإلغاء بالرد.", "OPD"),
        ("نقترح توفير كراسي انتظار إضافية في الطوارئ وركن للأطفال.", "ED"),
        ("أقترح تخصيص مواقف قريبة لكبار السن والحوامل عند مدخل العيادات.", "OPD"),
        ("يا ليت يكون هناك حجز موعد للتحاليل بدل الانتظار من الصباح.", "OPD"),
        ("نقترح توفير مترجم أو موظف يتحدث الأردية والبنغالية في الطوارئ.", "ED"),
    ),
    (
        ("Please add an English option to the queue ticket machine at the pharmacy.", "PHAR"),
        ("A drop-off area at the outpatient entrance would help elderly patients.", "OPD"),
    ),
)

# People who write in: Saudi names (Arabic) and expatriate residents who write in English.
FIRST_NAMES_AR = (
    "عبدالعزيز",
    "سعد",
    "نايف",
    "بدر",
    "مشاري",
    "عبدالله",
    "خالد",
    "ناصر",
    "حصة",
    "نوف",
    "العنود",
    "مها",
    "أروى",
    "سارة",
    "شهد",
    "وعد",
)
FAMILY_NAMES_AR = (
    "القحطاني",
    "الدوسري",
    "العتيبي",
    "الشهري",
    "الزهراني",
    "المالكي",
    "الرشيدي",
    "البقمي",
    "الحربي",
    "السلمي",
    "باوزير",
    "الجهني",
)
NAMES_EN = (
    "Ahmed Raza",
    "Maria Santos",
    "Joseph Thomas",
    "Sarah Mitchell",
    "Imran Qureshi",
    "Grace Dela Cruz",
    "Rahul Menon",
    "Fatima Siddiqui",
    "Daniel Brooks",
    "Aisha Rahman",
    "Omar Haddad",
    "Priya Nair",
)
