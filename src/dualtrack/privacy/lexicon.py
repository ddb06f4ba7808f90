"""Word lists behind the name and address recognizers (compiled from the HK reference notes).

Kept as plain frozensets so extensions can build on them; all English entries are stored
lower-case. Lists are deliberately small and common: the recognizers combine them with
structure (order, capitalisation, titles, context) rather than trusting any single word.
"""

from __future__ import annotations

# HK Government romanisations of common surnames (section 7.2), plus a few frequent
# Mandarin/Macao spellings seen in HK records.
HK_SURNAMES: frozenset[str] = frozenset(
    """
    chan wong lee li cheung leung lam lau ng ho tang tsang chow chau yip ip kwok ma law lo
    cheng tse yeung chu wu woo hui choi tsoi choy pang poon pun yuen so lu loo yu yue to tao
    tai chiu suen tsui chui ko luk man mok mak liu fong lai tam kwan au lui yiu chung kwong
    fung kong shek kung hon hung yau tong wan ching sit yim sum shum fok siu shiu kam cheuk
    ting sin ngai cho tso yung lok hau fan keung auyeung au-yeung szeto sze-to pau pak tin
    kei sze chak mui foo chun yik chen zhang wang liu huang zhao zhou lin
    """.split()
)

# Syllables that occur in romanised Cantonese given names.
GIVEN_SYLLABLES: frozenset[str] = frozenset(
    """
    tai man siu ming wai kin ka yan wing chi kwok hung mei ling fai hoi yee ying kit keung
    lok sze tsz hin shing kai kei pui san sum yuk lai fung kwan chun hang ho kam wah yiu po
    bo ching cheuk chung hei long nga oi on sau suet tak tin tsun wa yau yin yu yuen chuen
    hong king kwai lun mui nam pak shun sing tung wan wun yat yeung yung chak choi fong fu
    hau ip kiu lam leung lung mo ngai shuk tsui tze wong yim yi kwong kuen kong cheung chau
    sun sin shan ting hiu cheong mun chiu lin yun tim kee fat ngan hok kok yip chit hing
    nok lap sai mang kuk choy chee tsang wo shu sheung shek tse cheng
    """.split()
)

WESTERN_GIVEN_NAMES: frozenset[str] = frozenset(
    """
    peter john mary david michael paul james william thomas richard joseph charles daniel
    matthew anthony mark steven andrew kenneth kevin brian george edward ronald timothy
    jason jeffrey ryan jacob gary eric stephen jonathan larry justin scott brandon frank
    benjamin gregory samuel raymond patrick alexander jack dennis jerry tyler aaron henry
    adam douglas nathan zachary kyle walter harold carl arthur gerald roger keith jeremy
    terry lawrence sean christian albert joe ethan austin jesse willie billy bryan bruce
    jordan ralph roy noah dylan eugene wayne alan juan louis russell gabriel randy philip
    harry vincent bobby johnny logan jennifer linda patricia elizabeth barbara susan
    jessica sarah karen nancy lisa betty margaret sandra ashley kimberly emily donna
    michelle dorothy carol amanda melissa deborah stephanie rebecca sharon laura cynthia
    kathleen amy shirley angela helen anna brenda pamela nicole emma samantha katherine
    christine debra rachel catherine carolyn janet ruby maria heather diane virginia
    julie joyce victoria olivia kelly christina lauren joan evelyn judith megan cheryl
    andrea hannah martha jacqueline frances gloria ann teresa kathryn sara janice jean
    alice madison doris abigail julia judy grace denise amber marilyn beverly danielle
    theresa sophia marie diana brittany natalie isabella charlotte rose alexis kayla
    winnie ivy cherry candy fanny queenie kitty jenny vivian connie wendy karen iris
    rita tiffany joyce cathy peggy stella yvonne josephine eunice agnes bonnie carmen
    tommy jimmy kelvin calvin ivan alvin edmond edwin gordon leo ken ben sam tony simon
    vincent wilson dickson jackson nelson anson jason desmond raymond rex felix oscar
    """.split()
)

WESTERN_SURNAMES: frozenset[str] = frozenset(
    """
    smith johnson williams brown jones miller davis garcia rodriguez wilson martinez
    anderson taylor thomas hernandez moore martin jackson thompson white lopez harris
    clark lewis robinson walker young allen king wright scott green baker adams nelson
    hill campbell mitchell roberts carter phillips evans turner torres parker collins
    edwards stewart morris murphy cook rogers morgan peterson cooper reed bailey bell
    kelly howard ward cox richardson wood watson brooks bennett gray james hughes price
    sanders myers long ross foster sharma patel singh khan fernandes santos reyes cruz
    """.split()
)

TITLES: frozenset[str] = frozenset(
    "mr mrs ms miss dr madam mdm prof sir mister".split()
)

# Words that, right after a candidate, show it names a place or organisation instead.
NON_PERSON_FOLLOWERS: frozenset[str] = frozenset(
    """
    road rd street st avenue ave lane path drive estate garden gardens court mansion
    building bldg tower towers centre center plaza house district bank limited ltd company
    co station hospital school college village university group holdings securities
    insurance finance branch terrace square city park wan bay village centre mtr
    """.split()
)

DISTRICTS_EN: tuple[str, ...] = (
    "Central and Western", "Wan Chai", "Eastern", "Southern", "Yau Tsim Mong",
    "Sham Shui Po", "Kowloon City", "Wong Tai Sin", "Kwun Tong", "Kwai Tsing", "Tsuen Wan",
    "Tuen Mun", "Yuen Long", "North", "Tai Po", "Sha Tin", "Sai Kung", "Islands",
)  # fmt: skip

LOCALITIES_EN: tuple[str, ...] = (
    "Central", "Admiralty", "Causeway Bay", "North Point", "Quarry Bay", "Taikoo Shing",
    "Tai Koo", "Chai Wan", "Shau Kei Wan", "Aberdeen", "Ap Lei Chau", "Pok Fu Lam",
    "Kennedy Town", "Sheung Wan", "Sai Ying Pun", "Happy Valley", "Mid-Levels", "Mong Kok",
    "Tsim Sha Tsui", "Jordan", "Yau Ma Tei", "Hung Hom", "To Kwa Wan", "Kowloon Tong",
    "Kowloon Bay", "Ngau Tau Kok", "Lam Tin", "Yau Tong", "Diamond Hill", "San Po Kong",
    "Cheung Sha Wan", "Lai Chi Kok", "Shek Kip Mei", "Mei Foo", "Kwai Chung", "Tsing Yi",
    "Tseung Kwan O", "Ma On Shan", "Fanling", "Sheung Shui", "Tin Shui Wai", "Tung Chung",
    "Discovery Bay", "Tai Wai", "Fo Tan", "Sham Tseng", "Ho Man Tin", "Whampoa",
)  # fmt: skip

REGIONS_EN: tuple[str, ...] = ("Hong Kong Island", "Hong Kong", "Kowloon", "New Territories")

# Place names that look exactly like romanised personal names; never report them as PERSON.
PLACE_NAMES_LOWER: frozenset[str] = frozenset(
    p.lower() for p in (*DISTRICTS_EN, *LOCALITIES_EN, *REGIONS_EN, "Hong Kong", "Kai Tak")
)

DISTRICTS_ZH: tuple[str, ...] = (
    "中西區", "灣仔", "東區", "南區", "油尖旺", "深水埗", "九龍城", "黃大仙", "觀塘", "葵青",
    "荃灣", "屯門", "元朗", "北區", "大埔", "沙田", "西貢", "離島",
)  # fmt: skip

LOCALITIES_ZH: tuple[str, ...] = (
    "中環", "金鐘", "銅鑼灣", "北角", "鰂魚涌", "太古城", "柴灣", "筲箕灣", "香港仔", "鴨脷洲",
    "薄扶林", "堅尼地城", "上環", "西營盤", "跑馬地", "旺角", "尖沙咀", "佐敦", "油麻地",
    "紅磡", "土瓜灣", "九龍塘", "九龍灣", "牛頭角", "藍田", "油塘", "鑽石山", "新蒲崗",
    "長沙灣", "荔枝角", "石硤尾", "美孚", "葵涌", "青衣", "將軍澳", "馬鞍山", "粉嶺", "上水",
    "天水圍", "東涌", "大圍", "火炭", "何文田", "黄埔", "黃埔", "铜锣湾", "观塘", "沙田",
)  # fmt: skip

REGIONS_ZH: tuple[str, ...] = ("香港", "九龍", "新界", "九龙")

# Chinese surnames (Traditional and Simplified forms; compound surnames first).
CN_COMPOUND_SURNAMES: tuple[str, ...] = ("歐陽", "欧阳", "司徒", "上官", "諸葛", "诸葛")
CN_SURNAMES: str = (
    "陳陈黃黄李張张梁林劉刘吳吴何王鄧邓曾周葉叶郭馬马羅罗鄭郑謝谢楊杨朱胡許许蔡彭潘袁蘇苏"
    "盧卢蔣蒋余杜戴趙赵孫孙徐高陸陆文莫麥麦廖方黎譚谭關关歐欧伍雷姚鍾钟鄺邝區区馮冯江石龔龚"
    "呂吕韓韩洪邱湯汤尹賴赖溫温程薛嚴严岑霍邵甘卓丁萬万冼崔魏金唐曹容阮駱骆侯鄒邹蕭萧孔沈范"
    "姜游"
)

# Characters common in Chinese given names (Traditional and Simplified).
CN_GIVEN_CHARS: str = (
    "大小文明偉伟嘉家志俊美玲麗丽芳國国華华強强建永德榮荣敏慧婷欣怡穎颖詩诗雅琪珊靜静秀英"
    "傑杰豪浩輝辉軍军健康平安寧宁子君宇凱凯晴思慧佩儀仪燕鳳凤蘭兰梅雪紅红霞月星天海峰"
    "龍龙鵬鹏飛飞東东南北中正光明亮智勇剛刚毅恒信義义禮礼仁愛爱心清玉珍寶宝銘铭鈞钧樂乐"
    "詠咏賢贤翠碧琳瑩莹婉淑惠蕙嫣倩曉晓紫彤希晞朗軒轩梓皓睿澤泽霖森林柏楠偉卓立新昌盛富"
    "貴贵祥福祿禄壽寿喜瑞泰和順顺達达誠诚信忠孝潔洁麗冰潤润澄淳浚濤涛洋漢汉彬斌耀煒炜"
    "家振興兴啟启發发展成少秋冬春夏錦锦綺绮婕妍倚依欣蔚芝芷茵莉菲萍蓮莲荷"
)

# Words in the few characters before a Chinese name that mark it as a person.
CN_NAME_PREFIX_CUES: tuple[str, ...] = (
    "姓名", "客戶", "客户", "致", "收款人", "付款人", "戶主", "户主", "聯絡人", "联系人",
    "申請人", "申请人", "本人", "我是", "經手人", "持有人", "受益人", "同事", "轉賬給",
    "转账给", "轉帳俾", "俾", "联络人", "負責人", "负责人", "會員", "会员", "名字",
)  # fmt: skip

# Characters or words right after a Chinese name that mark it as a person.
CN_NAME_SUFFIX_CUES: tuple[str, ...] = (
    "先生", "女士", "小姐", "太太", "經理", "经理", "主任", "醫生", "医生", "律師", "律师",
    "您好", "你好", "老師", "老师", "博士", "收", "啟", "阿姨", "伯伯",
)  # fmt: skip
