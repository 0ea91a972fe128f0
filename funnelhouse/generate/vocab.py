"""Fixed vocabularies (names, places, industries, channels, stages) that the demo data is drawn from."""

from __future__ import annotations

from typing import NamedTuple

SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
    ("蔡", "cai"),
    ("蒋", "jiang"),
    ("余", "yu"),
    ("于", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("苏", "su"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("卢", "lu"),
    ("钟", "zhong"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("范", "fan"),
    ("汪", "wang"),
    ("廖", "liao"),
    ("石", "shi"),
    ("金", "jin"),
    ("贾", "jia"),
    ("夏", "xia"),
    ("方", "fang"),
    ("邹", "zou"),
    ("熊", "xiong"),
    ("白", "bai"),
    ("孟", "meng"),
    ("秦", "qin"),
    ("邱", "qiu"),
    ("侯", "hou"),
    ("江", "jiang"),
    ("尹", "yin"),
    ("薛", "xue"),
    ("段", "duan"),
    ("雷", "lei"),
    ("龙", "long"),
    ("史", "shi"),
    ("陶", "tao"),
    ("贺", "he"),
    ("毛", "mao"),
    ("顾", "gu"),
    ("龚", "gong"),
    ("邵", "shao"),
    ("万", "wan"),
    ("钱", "qian"),
    ("戴", "dai"),
    ("严", "yan"),
    ("欧阳", "ouyang"),
)

GIVEN_CHARS: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("建", "jian"),
    ("文", "wen"),
    ("玲", "ling"),
    ("飞", "fei"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("晨", "chen"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("晓", "xiao"),
    ("东", "dong"),
    ("海", "hai"),
    ("波", "bo"),
    ("斌", "bin"),
    ("峰", "feng"),
    ("亮", "liang"),
    ("志", "zhi"),
    ("春", "chun"),
    ("红", "hong"),
    ("梅", "mei"),
    ("丹", "dan"),
    ("俊", "jun"),
    ("凯", "kai"),
    ("博", "bo"),
    ("嘉", "jia"),
    ("子", "zi"),
    ("思", "si"),
    ("雨", "yu"),
    ("佳", "jia"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("璐", "lu"),
    ("瑞", "rui"),
    ("天", "tian"),
    ("然", "ran"),
    ("昊", "hao"),
    ("泽", "ze"),
    ("诗", "shi"),
    ("梦", "meng"),
    ("晶", "jing"),
    ("慧", "hui"),
    ("立", "li"),
    ("新", "xin"),
    ("国", "guo"),
    ("永", "yong"),
    ("庆", "qing"),
    ("振", "zhen"),
    ("帆", "fan"),
    ("航", "hang"),
    ("睿", "rui"),
    ("宁", "ning"),
    ("蕾", "lei"),
    ("薇", "wei"),
    ("悦", "yue"),
)

ENGLISH_GIVEN_NAMES: tuple[str, ...] = (
    "Kevin",
    "Jason",
    "Eric",
    "Tony",
    "Jack",
    "Leo",
    "Vincent",
    "Frank",
    "Grace",
    "Cathy",
    "Linda",
    "Helen",
    "Vivian",
    "Emily",
    "Sophia",
    "Cindy",
    "Amy",
    "Daniel",
    "Peter",
    "Michael",
    "Anna",
    "Iris",
    "Joyce",
    "Sunny",
    "Alex",
    "Bruce",
    "Ivy",
    "Lily",
    "Ryan",
    "Steven",
)

# Two-character company brand names are built from these halves (pinyin for domains and English names).
BRAND_FIRST: tuple[tuple[str, str], ...] = (
    ("华", "hua"),
    ("中", "zhong"),
    ("博", "bo"),
    ("天", "tian"),
    ("瑞", "rui"),
    ("恒", "heng"),
    ("鼎", "ding"),
    ("新", "xin"),
    ("云", "yun"),
    ("智", "zhi"),
    ("金", "jin"),
    ("海", "hai"),
    ("卓", "zhuo"),
    ("星", "xing"),
    ("远", "yuan"),
    ("正", "zheng"),
    ("宏", "hong"),
    ("凯", "kai"),
    ("朗", "lang"),
    ("银", "yin"),
    ("合", "he"),
    ("东", "dong"),
    ("长", "chang"),
    ("明", "ming"),
    ("盛", "sheng"),
    ("睿", "rui"),
    ("嘉", "jia"),
    ("万", "wan"),
    ("锦", "jin"),
    ("启", "qi"),
    ("蓝", "lan"),
    ("易", "yi"),
    ("普", "pu"),
    ("安", "an"),
    ("信", "xin"),
    ("德", "de"),
    ("亿", "yi"),
    ("聚", "ju"),
    ("光", "guang"),
    ("青", "qing"),
    ("鸿", "hong"),
    ("泰", "tai"),
    ("伟", "wei"),
    ("同", "tong"),
    ("科", "ke"),
    ("联", "lian"),
    ("优", "you"),
    ("美", "mei"),
    ("世", "shi"),
    ("数", "shu"),
)
BRAND_SECOND: tuple[tuple[str, str], ...] = (
    ("信", "xin"),
    ("科", "ke"),
    ("远", "yuan"),
    ("成", "cheng"),
    ("达", "da"),
    ("通", "tong"),
    ("盛", "sheng"),
    ("锐", "rui"),
    ("图", "tu"),
    ("联", "lian"),
    ("石", "shi"),
    ("纳", "na"),
    ("越", "yue"),
    ("河", "he"),
    ("景", "jing"),
    ("泰", "tai"),
    ("宇", "yu"),
    ("润", "run"),
    ("力", "li"),
    ("方", "fang"),
    ("风", "feng"),
    ("德", "de"),
    ("思", "si"),
    ("禾", "he"),
    ("象", "xiang"),
    ("程", "cheng"),
    ("航", "hang"),
    ("海", "hai"),
    ("康", "kang"),
    ("源", "yuan"),
    ("华", "hua"),
    ("松", "song"),
    ("运", "yun"),
    ("和", "he"),
    ("业", "ye"),
    ("创", "chuang"),
    ("品", "pin"),
    ("佳", "jia"),
    ("辰", "chen"),
    ("川", "chuan"),
    ("帆", "fan"),
    ("智", "zhi"),
    ("诚", "cheng"),
    ("恒", "heng"),
    ("瀚", "han"),
    ("杰", "jie"),
    ("鑫", "xin"),
    ("峰", "feng"),
    ("兴", "xing"),
    ("邦", "bang"),
)


class City(NamedTuple):
    name: str
    english: str
    abbr: str
    area_code: str
    region: str  # east | south | north


CITIES: tuple[City, ...] = (
    City("上海", "Shanghai", "sh", "021", "east"),
    City("杭州", "Hangzhou", "hz", "0571", "east"),
    City("南京", "Nanjing", "nj", "025", "east"),
    City("苏州", "Suzhou", "suz", "0512", "east"),
    City("宁波", "Ningbo", "nb", "0574", "east"),
    City("合肥", "Hefei", "hf", "0551", "east"),
    City("无锡", "Wuxi", "wx", "0510", "east"),
    City("常州", "Changzhou", "cz", "0519", "east"),
    City("深圳", "Shenzhen", "sz", "0755", "south"),
    City("广州", "Guangzhou", "gz", "020", "south"),
    City("东莞", "Dongguan", "dg", "0769", "south"),
    City("佛山", "Foshan", "fs", "0757", "south"),
    City("厦门", "Xiamen", "xm", "0592", "south"),
    City("福州", "Fuzhou", "fz", "0591", "south"),
    City("珠海", "Zhuhai", "zh", "0756", "south"),
    City("南宁", "Nanning", "nn", "0771", "south"),
    City("北京", "Beijing", "bj", "010", "north"),
    City("天津", "Tianjin", "tj", "022", "north"),
    City("济南", "Jinan", "jn", "0531", "north"),
    City("青岛", "Qingdao", "qd", "0532", "north"),
    City("成都", "Chengdu", "cd", "028", "north"),
    City("重庆", "Chongqing", "cq", "023", "north"),
    City("武汉", "Wuhan", "wh", "027", "north"),
    City("西安", "Xi'an", "xa", "029", "north"),
    City("郑州", "Zhengzhou", "zz", "0371", "north"),
    City("长沙", "Changsha", "cs", "0731", "north"),
    City("沈阳", "Shenyang", "sy", "024", "north"),
    City("大连", "Dalian", "dl", "0411", "north"),
    City("石家庄", "Shijiazhuang", "sjz", "0311", "north"),
    City("昆明", "Kunming", "km", "0871", "north"),
)


class Industry(NamedTuple):
    key: str
    label_zh: str  # the label used in Chinese forms and trackers
    hubspot: str  # HubSpot's `industry` enumeration value
    label_en: str
    # (Chinese name word, English name word, domain token)
    name_words: tuple[tuple[str, str, str], ...]


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "software",
        "软件/互联网",
        "COMPUTER_SOFTWARE",
        "Software / Internet",
        (
            ("软件", "Software", "soft"),
            ("信息技术", "Information Technology", "it"),
            ("网络科技", "Network Technology", "net"),
            ("数据科技", "Data Technology", "data"),
        ),
    ),
    Industry(
        "manufacturing",
        "机械制造",
        "MACHINERY",
        "Manufacturing",
        (
            ("机械", "Machinery", "mach"),
            ("精密制造", "Precision Manufacturing", "precision"),
            ("装备", "Equipment", "equip"),
            ("工业", "Industrial", "ind"),
        ),
    ),
    Industry(
        "retail",
        "零售",
        "RETAIL",
        "Retail",
        (
            ("商贸", "Trading", "trade"),
            ("零售", "Retail", "retail"),
            ("百货", "Department Store", "mall"),
            ("连锁", "Chain Stores", "chain"),
        ),
    ),
    Industry(
        "finance",
        "金融",
        "FINANCIAL_SERVICES",
        "Financial Services",
        (
            ("金融服务", "Financial Services", "fin"),
            ("投资", "Investment", "invest"),
            ("融资租赁", "Financial Leasing", "lease"),
            ("保险代理", "Insurance Agency", "ins"),
        ),
    ),
    Industry(
        "healthcare",
        "医疗健康",
        "HOSPITAL_HEALTH_CARE",
        "Healthcare",
        (
            ("医疗科技", "Medical Technology", "med"),
            ("医药", "Pharmaceutical", "pharma"),
            ("健康", "Health", "health"),
            ("生物科技", "Biotech", "bio"),
        ),
    ),
    Industry(
        "education",
        "教育培训",
        "EDUCATION_MANAGEMENT",
        "Education",
        (
            ("教育科技", "Education Technology", "edu"),
            ("培训", "Training", "training"),
            ("文化传播", "Culture Media", "culture"),
            ("学习", "Learning", "learn"),
        ),
    ),
    Industry(
        "logistics",
        "物流",
        "LOGISTICS_AND_SUPPLY_CHAIN",
        "Logistics",
        (
            ("物流", "Logistics", "logistics"),
            ("供应链", "Supply Chain", "scm"),
            ("速运", "Express", "express"),
            ("仓储", "Warehousing", "storage"),
        ),
    ),
    Industry(
        "automotive",
        "汽车",
        "AUTOMOTIVE",
        "Automotive",
        (
            ("汽车零部件", "Auto Parts", "autoparts"),
            ("汽车", "Automobile", "auto"),
            ("新能源", "New Energy", "ev"),
            ("车联网", "Connected Vehicle", "iov"),
        ),
    ),
    Industry(
        "realestate",
        "房地产",
        "REAL_ESTATE",
        "Real Estate",
        (
            ("置业", "Property", "property"),
            ("地产", "Real Estate", "estate"),
            ("物业", "Property Management", "pm"),
            ("建设", "Construction", "build"),
        ),
    ),
    Industry(
        "ecommerce",
        "电子商务",
        "INTERNET",
        "E-commerce",
        (
            ("电子商务", "E-commerce", "ec"),
            ("电商", "Online Retail", "shop"),
            ("跨境", "Cross-border", "crossborder"),
            ("网络", "Online", "online"),
        ),
    ),
    Industry(
        "consumer",
        "消费品",
        "CONSUMER_GOODS",
        "Consumer Goods",
        (
            ("食品", "Food", "food"),
            ("日化", "Daily Chemicals", "daily"),
            ("服饰", "Apparel", "apparel"),
            ("家居", "Home Furnishing", "home"),
        ),
    ),
)

# What people type instead of the canonical industry label in free-text places.
INDUSTRY_TYPED_VARIANTS: dict[str, tuple[str, ...]] = {
    "software": ("互联网", "IT", "软件"),
    "manufacturing": ("制造业", "机械"),
    "retail": ("零售业",),
    "finance": ("金融业", "银行/金融"),
    "healthcare": ("医疗", "医药"),
    "education": ("教育",),
    "logistics": ("物流运输",),
    "automotive": ("汽车行业",),
    "realestate": ("地产",),
    "ecommerce": ("电商",),
    "consumer": ("快消", "快消品"),
}

# (Chinese legal suffix, English legal suffix, top-level domain)
LEGAL_FORMS: tuple[tuple[str, str, str], ...] = (
    ("有限公司", "Co., Ltd.", ".com"),
    ("股份有限公司", "Co., Ltd.", ".cn"),
    ("集团有限公司", "Group Co., Ltd.", ".com.cn"),
)


class SizeBand(NamedTuple):
    label_zh: str
    label_en: str
    low: int
    high: int
    weight: float


SIZE_BANDS: tuple[SizeBand, ...] = (
    SizeBand("少于50人", "1-49", 8, 49, 0.30),
    SizeBand("50-99人", "50-99", 50, 99, 0.25),
    SizeBand("100-499人", "100-499", 100, 499, 0.28),
    SizeBand("500-999人", "500-999", 500, 999, 0.10),
    SizeBand("1000人以上", "1000+", 1000, 12000, 0.07),
)

# (Chinese title, English title)
JOB_TITLES: tuple[tuple[str, str], ...] = (
    ("采购经理", "Purchasing Manager"),
    ("IT总监", "IT Director"),
    ("运营总监", "Operations Director"),
    ("总经理", "General Manager"),
    ("CTO", "CTO"),
    ("市场经理", "Marketing Manager"),
    ("销售总监", "Sales Director"),
    ("财务经理", "Finance Manager"),
    ("信息化负责人", "Head of IT"),
    ("产品经理", "Product Manager"),
    ("数据分析师", "Data Analyst"),
    ("行政主管", "Office Manager"),
)


class Channel(NamedTuple):
    name: str  # exact Chinese channel name used everywhere (forms, CRM exports, marketing spend)
    weight: float  # share of inbound leads
    utm_source: str | None
    utm_medium: str | None
    campaign_stem: str | None
    hubspot_source: str  # HubSpot hs_analytics_source value
    cost_per_lead: int  # 元, used for the marketing spend sheet


CHANNELS: tuple[Channel, ...] = (
    Channel("百度搜索", 0.24, "baidu", "cpc", "search", "PAID_SEARCH", 620),
    Channel("微信广告", 0.18, "wechat", "cpc", "moments", "PAID_SOCIAL", 480),
    Channel("官网自然流量", 0.20, None, None, None, "ORGANIC_SEARCH", 90),
    Channel("展会", 0.08, "expo", "offline", "expo", "OFFLINE", 1500),
    Channel("客户推荐", 0.10, "referral", "referral", "customer_referral", "REFERRALS", 300),
    Channel("LinkedIn", 0.08, "linkedin", "social", "abm", "PAID_SOCIAL", 950),
    Channel("邮件营销", 0.12, "newsletter", "email", "edm", "EMAIL_MARKETING", 60),
)
TRADE_SHOW_MONTHS = (3, 5, 9, 11)

# Generic funnel stages: 0..4 open, 5 won, 6 lost (for the five-open-stage pipelines).
STAGES_ZH: tuple[str, ...] = ("线索", "意向", "需求确认", "方案/报价", "谈判", "成交", "输单")
STAGE_ZH_TYPED_VARIANTS: dict[str, tuple[str, ...]] = {
    "方案/报价": ("方案报价", "报价"),
    "成交": ("已成交", "赢单"),
    "输单": ("丢单", "已输单"),
    "需求确认": ("需求已确认",),
    "谈判": ("商务谈判",),
}
STAGES_EN: tuple[str, ...] = (
    "Lead",
    "Interested",
    "Qualified",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)

# Lost reasons: category -> several wordings of the same reason (Chinese and English).
LOST_REASON_WORDINGS: dict[str, tuple[str, ...]] = {
    "price": ("价格太高", "价格高于预算", "too expensive", "Price too high", "报价超出预算"),
    "competitor": ("选择了竞争对手", "went with competitor", "竞品价格更低，选了竞品", "Lost to competitor"),
    "budget": ("预算不足", "no budget this year", "今年没有预算", "Budget cut"),
    "timing": ("时机不对", "项目延期", "not the right time"),
    "no_response": ("客户无回应", "no response", "联系不上", "Unresponsive"),
    "fit": ("需求不匹配", "not a fit", "功能不满足需求"),
    "other": ("公司被收购，项目取消", "客户决定内部自研", "决策人离职", "duplicate deal"),
}
# Which reasons dominate by the open stage a deal was lost from (index 0..4).
LOST_REASON_WEIGHTS_BY_STAGE: tuple[dict[str, float], ...] = (
    {"no_response": 5, "fit": 3, "timing": 2, "budget": 1, "other": 0.5},
    {"no_response": 3, "fit": 3, "timing": 2, "budget": 2, "other": 0.5},
    {"budget": 3, "fit": 2, "competitor": 2, "timing": 2, "price": 1, "other": 0.5},
    {"price": 4, "competitor": 3, "budget": 2, "timing": 1, "other": 0.5},
    {"price": 4, "competitor": 4, "budget": 1, "timing": 1, "other": 0.5},
)

PRODUCTS_ZH: tuple[str, ...] = (
    "年度订阅",
    "私有化部署",
    "数据中台项目",
    "增购席位",
    "标准版",
    "企业版升级",
    "实施服务",
)

KEY_ACTIONS_BY_STAGE_ZH: tuple[tuple[str, ...], ...] = (
    ("新建线索", "官网留资，录入线索", "展会收集名片"),
    ("首次电话沟通，客户有兴趣", "加微信，发送产品资料", "线上演示预约成功"),
    ("需求调研会议", "确认预算和决策链", "拜访客户IT负责人"),
    ("提交方案和报价", "报价单发出", "方案评审会"),
    ("商务谈判，客户要求折扣", "合同条款沟通", "法务审核合同"),
    ("合同签署", "回款确认，成交"),
    ("客户确认不采购", "项目终止"),
)
NEXT_STEPS_BY_STAGE_ZH: tuple[tuple[str, ...], ...] = (
    ("电话回访，确认需求", "发送产品介绍"),
    ("安排产品演示", "约见决策人"),
    ("准备方案", "确认预算"),
    ("跟进报价反馈", "安排方案答疑"),
    ("推动合同签署", "申请特价审批"),
    ("安排实施启动会", "跟进回款"),
    ("半年后回访", "—"),
)
RISK_NOTES_ZH: tuple[str, ...] = ("竞品介入", "预算未确认", "决策人变更", "客户内部流程慢", "价格敏感")

TEAM_BASE_NAMES: tuple[str, ...] = ("华东大客户部", "华南渠道部", "国际业务部")
TEAM_KEYS: tuple[str, ...] = ("east", "south", "international")
