"""Name parts for the synthetic population, each as (Arabic, English)."""

from __future__ import annotations

NamePart = tuple[str, str]

SAUDI_MALE: tuple[NamePart, ...] = (
    ("محمد", "Mohammed"),
    ("عبدالله", "Abdullah"),
    ("عبدالرحمن", "Abdulrahman"),
    ("فهد", "Fahad"),
    ("سلطان", "Sultan"),
    ("خالد", "Khalid"),
    ("سعود", "Saud"),
    ("فيصل", "Faisal"),
    ("تركي", "Turki"),
    ("نايف", "Naif"),
    ("بندر", "Bandar"),
    ("ماجد", "Majed"),
    ("عبدالعزيز", "Abdulaziz"),
    ("يوسف", "Yousef"),
    ("إبراهيم", "Ibrahim"),
    ("سلمان", "Salman"),
    ("حمد", "Hamad"),
    ("راشد", "Rashed"),
    ("عمر", "Omar"),
    ("علي", "Ali"),
    ("ناصر", "Nasser"),
    ("مشعل", "Mishal"),
    ("طلال", "Talal"),
    ("زياد", "Ziyad"),
)
SAUDI_FEMALE: tuple[NamePart, ...] = (
    ("نورة", "Noura"),
    ("سارة", "Sarah"),
    ("فاطمة", "Fatimah"),
    ("مها", "Maha"),
    ("ريم", "Reem"),
    ("هيفاء", "Haifa"),
    ("لطيفة", "Latifa"),
    ("منيرة", "Munira"),
    ("الجوهرة", "Aljawhara"),
    ("عبير", "Abeer"),
    ("دانة", "Dana"),
    ("لمى", "Lama"),
    ("شهد", "Shahad"),
    ("جود", "Joud"),
    ("أمل", "Amal"),
    ("هند", "Hind"),
    ("العنود", "Alanoud"),
    ("غادة", "Ghada"),
    ("وعد", "Waad"),
    ("رغد", "Raghad"),
)
SAUDI_FAMILY: tuple[NamePart, ...] = (
    ("العتيبي", "Alotaibi"),
    ("القحطاني", "Alqahtani"),
    ("الغامدي", "Alghamdi"),
    ("الزهراني", "Alzahrani"),
    ("الدوسري", "Aldosari"),
    ("الشمري", "Alshammari"),
    ("الحربي", "Alharbi"),
    ("المطيري", "Almutairi"),
    ("السبيعي", "Alsubaie"),
    ("العنزي", "Alanazi"),
    ("الشهري", "Alshehri"),
    ("السهلي", "Alsahli"),
    ("الرشيد", "Alrasheed"),
    ("البقمي", "Albaqami"),
    ("التميمي", "Altamimi"),
    ("الجهني", "Aljohani"),
)

# Residents' names by nationality (ISO 3166-1 alpha-3), transliterated into Arabic as Jawazat prints them.
EXPAT_MALE: dict[str, tuple[NamePart, ...]] = {
    "IND": (("راجيش", "Rajesh"), ("سوريش", "Suresh"), ("أنيل", "Anil"), ("محمد", "Mohammed"), ("جوزيف", "Joseph")),
    "PAK": (("عمران", "Imran"), ("بلال", "Bilal"), ("آصف", "Asif"), ("طارق", "Tariq"), ("شاهد", "Shahid")),
    "BGD": (("رحيم", "Rahim"), ("كريم", "Karim"), ("حسين", "Hossain"), ("مامون", "Mamun")),
    "EGY": (("أحمد", "Ahmed"), ("مصطفى", "Mostafa"), ("محمود", "Mahmoud"), ("كريم", "Karim"), ("هاني", "Hany")),
    "PHL": (("خوسيه", "Jose"), ("مارك", "Mark"), ("رامون", "Ramon"), ("أنجيلو", "Angelo")),
    "YEM": (("عبدالملك", "Abdulmalik"), ("صالح", "Saleh"), ("عادل", "Adel"), ("منصور", "Mansour")),
    "SDN": (("عثمان", "Osman"), ("الطيب", "Altayeb"), ("حسن", "Hassan"), ("بابكر", "Babiker")),
    "IDN": (("بودي", "Budi"), ("أغوس", "Agus"), ("ريزا", "Reza")),
    "NPL": (("رام", "Ram"), ("بيشال", "Bishal"), ("سانجاي", "Sanjay")),
}
EXPAT_FEMALE: dict[str, tuple[NamePart, ...]] = {
    "IND": (("بريا", "Priya"), ("أنجالي", "Anjali"), ("ماريا", "Maria")),
    "PAK": (("عائشة", "Ayesha"), ("فاطمة", "Fatima"), ("صبا", "Saba")),
    "BGD": (("نسرين", "Nasrin"), ("روبينا", "Rubina")),
    "EGY": (("منى", "Mona"), ("ياسمين", "Yasmin"), ("دينا", "Dina")),
    "PHL": (("ماريا", "Maria"), ("غريس", "Grace"), ("جوي", "Joy"), ("روزا", "Rosa")),
    "YEM": (("أسماء", "Asma"), ("خديجة", "Khadija")),
    "SDN": (("آمنة", "Amna"), ("سلمى", "Salma")),
    "IDN": (("سيتي", "Siti"), ("ديوي", "Dewi"), ("نور", "Nur")),
    "NPL": (("سيتا", "Sita"), ("غيتا", "Gita")),
}
EXPAT_FAMILY: dict[str, tuple[NamePart, ...]] = {
    "IND": (("كومار", "Kumar"), ("ناير", "Nair"), ("شارما", "Sharma"), ("خان", "Khan")),
    "PAK": (("خان", "Khan"), ("حسين", "Hussain"), ("أحمد", "Ahmed"), ("ملك", "Malik")),
    "BGD": (("أحمد", "Ahmed"), ("الإسلام", "Islam"), ("رحمن", "Rahman")),
    "EGY": (("عبدالفتاح", "Abdelfattah"), ("السيد", "Elsayed"), ("إبراهيم", "Ibrahim"), ("منصور", "Mansour")),
    "PHL": (("سانتوس", "Santos"), ("رييس", "Reyes"), ("كروز", "Cruz"), ("غارسيا", "Garcia")),
    "YEM": (("العمري", "Alamri"), ("الحضرمي", "Alhadrami"), ("اليافعي", "Alyafei")),
    "SDN": (("عثمان", "Osman"), ("إدريس", "Idris"), ("الأمين", "Alamin")),
    "IDN": (("سانتوسو", "Santoso"), ("ويجايا", "Wijaya"), ("هاريانتو", "Haryanto")),
    "NPL": (("شريستا", "Shrestha"), ("تامانغ", "Tamang"), ("غورونغ", "Gurung")),
}
# Visitors come mostly from the region and for pilgrimage or family visits.
VISITOR_NATIONALITIES: tuple[str, ...] = ("EGY", "PAK", "IND", "IDN", "YEM", "SDN")
RESIDENT_NATIONALITIES: tuple[str, ...] = tuple(EXPAT_MALE)
