"""Small generated messages for tests: four categories, each with its own vocabulary, written
as a resident would (punctuation, function words)."""

import random

CATEGORIES = {
    "SR01": ("市容环境", ["垃圾", "清运", "垃圾桶", "脏乱", "乱扔"]),
    "JT02": ("交通管理", ["红绿灯", "停车", "公交车", "拥堵", "斑马线"]),
    "ZS03": ("噪音扰民", ["噪音", "扰民", "夜间施工", "广场舞", "音响"]),
    "GS04": ("供水保障", ["停水", "水压", "自来水", "水管", "漏水"]),
}
PLACES = ["幸福小区", "江阳路", "滨江花园", "南城街道", "龙马潭", "大山坪", "学府路", "凤凰湖"]
OPENINGS = ["您好，", "领导你好！", "", "请问，", "我要反映：", "尊敬的领导："]
PATTERNS = [
    "{place}的{a}问题很严重，{b}也没有人管，希望尽快处理。",
    "{place}附近{a}，已经好几天了，{b}的情况越来越多！",
    "关于{place}{a}的投诉：{b}，{c}，请相关部门看一下。",
    "{place}一直{a}，还有{b}，居民意见很大。",
]


def message(code: str, rng: random.Random) -> str:
    words = CATEGORIES[code][1]
    a, b, c = rng.sample(words, 3)
    return rng.choice(OPENINGS) + rng.choice(PATTERNS).format(place=rng.choice(PLACES), a=a, b=b, c=c)


def dataset(per_class: int = 12, seed: int = 7, codes=None) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for code in codes or CATEGORIES:
        for _ in range(per_class):
            texts.append(message(code, rng))
            labels.append(code)
    return texts, labels


def catalogue() -> list[tuple[str, str, list[str]]]:
    return [(code, name, list(words)) for code, (name, words) in CATEGORIES.items()]


def write_csv(path, texts, labels, *, extra_column: bool = True) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label"] + (["source"] if extra_column else []))
        for n, (text, label) in enumerate(zip(texts, labels), start=1):
            writer.writerow([f"M{n:04d}", text, label] + (["test"] if extra_column else []))
