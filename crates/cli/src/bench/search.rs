//! search: p95 over 100,000 documents ÷ over 1,000.

use super::*;

/// Words of family education, to make documents and queries from.
const VOCAB: &[&str] = &[
    "孩子",
    "家长",
    "学习",
    "习惯",
    "沟通",
    "情绪",
    "焦虑",
    "安全",
    "阅读",
    "运动",
    "睡眠",
    "手机",
    "游戏",
    "作业",
    "考试",
    "压力",
    "陪伴",
    "鼓励",
    "批评",
    "规则",
    "自律",
    "责任",
    "劳动",
    "家务",
    "饮食",
    "健康",
    "心理",
    "青春期",
    "叛逆",
    "同伴",
    "友谊",
    "欺凌",
    "网络",
    "视力",
    "专注",
    "兴趣",
    "特长",
    "生涯",
    "职业",
    "理想",
    "衔接",
    "入学",
    "幼儿园",
    "小学",
    "初中",
    "高中",
    "升学",
    "选科",
    "志愿",
    "亲子",
    "父亲",
    "母亲",
    "祖辈",
    "隔代",
    "教养",
    "榜样",
    "倾听",
    "表达",
    "合作",
    "分享",
    "感恩",
    "挫折",
    "韧性",
    "自信",
    "独立",
    "时间",
    "管理",
    "计划",
    "目标",
    "反思",
];

fn synthetic(rng: &mut impl rand_like::Rng, words: usize) -> String {
    (0..words)
        .map(|_| VOCAB[rng.below(VOCAB.len())])
        .collect::<Vec<_>>()
        .join("")
}

mod rand_like {
    /// A small deterministic generator, enough for benchmark text.
    pub trait Rng {
        fn below(&mut self, n: usize) -> usize;
    }
    pub struct XorShift(pub u64);
    impl Rng for XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }
}

async fn add_docs(
    app: &App,
    from: usize,
    to: usize,
    rng: &mut rand_like::XorShift,
) -> Result<(), AnyError> {
    let now = unix_now();
    let mut tx = app.db.write().await?;
    for i in from..to {
        let title = synthetic(rng, 4);
        let body = synthetic(rng, 30);
        let doc = tongyu_store::search::Doc {
            kind: "lesson",
            ref_id: i as i64,
            course_id: (i / 10) as i64,
            words: tongyu_domain::search::index_words(&format!("{title} {body}")),
            title,
            body,
            category: "self_study".into(),
            subject: "family_education".into(),
            grades: String::new(),
        };
        tongyu_store::search::upsert(&mut tx, &doc, now).await?;
        if i % 5000 == 4999 {
            tx.commit().await.db()?;
            tx = app.db.write().await?;
            eprintln!("  {} documents", i + 1);
        }
    }
    tx.commit().await.db()?;
    app.db.analyze().await?;
    Ok(())
}

/// p95 of `n` searches of one or two vocabulary words.
async fn search_p95(
    app: &App,
    n: usize,
    rng: &mut rand_like::XorShift,
) -> Result<Duration, AnyError> {
    use rand_like::Rng;
    let ctx = tongyu_service::import::operator_ctx(app).await?;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let q = if i % 2 == 0 {
            VOCAB[rng.below(VOCAB.len())].to_owned()
        } else {
            format!(
                "{} {}",
                VOCAB[rng.below(VOCAB.len())],
                VOCAB[rng.below(VOCAB.len())]
            )
        };
        let query = tongyu_service::search::Query {
            q,
            ..Default::default()
        };
        let t = Instant::now();
        tongyu_service::search::search(app, &ctx, &query).await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[n * 95 / 100])
}

pub(super) async fn search(dir: &std::path::Path, pg: Option<&str>) -> Result<(), AnyError> {
    let app = fresh(dir, "search", pg).await?;
    demo::generate(&app, DemoScale::tiny(), PW, &quiet).await?;
    let mut rng = rand_like::XorShift(20_260_901);
    add_docs(&app, 0, 1_000, &mut rng).await?;
    let small = search_p95(&app, 400, &mut rng).await?;
    eprintln!("indexing 99,000 more documents...");
    add_docs(&app, 1_000, 100_000, &mut rng).await?;
    let large = search_p95(&app, 400, &mut rng).await?;
    println!("search, p95 of 400 queries of one or two words:");
    println!("  1,000 documents     {:>8.3} ms", ms(small));
    println!("  100,000 documents   {:>8.3} ms", ms(large));
    println!(
        "  ratio               {:>8.2}   (goal <= 3.00)",
        ms(large) / ms(small)
    );
    app.db.close().await;
    Ok(())
}
